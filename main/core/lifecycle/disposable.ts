/**
 * Disposables, after VS Code's `IDisposable` / `DisposableStore`: whatever a background component
 * holds (a timer, a listener, a socket, a pass under way) is one disposable, registered in the
 * store of its owner, so that disposing the owner releases all of it. `dispose` may return a
 * promise when releasing has to wait (a request being cut short, a pass finishing with SQLite).
 */
export interface Disposable {
  dispose(): void | Promise<void>
}

/** A disposable that runs `fn` once. */
export function toDisposable(fn: () => void | Promise<void>): Disposable {
  let done = false
  return {
    dispose() {
      if (done) return
      done = true
      return fn()
    },
  }
}

export const NONE: Disposable = Object.freeze({ dispose() {} })

/**
 * Owns disposables; `dispose()` releases them in reverse order of registration (what was built
 * last, on top of the rest, goes first) and waits for each one that returns a promise. Adding to
 * a disposed store disposes the newcomer at once: a timer armed during shutdown does not leak.
 */
export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>()
  private disposing: Promise<void> | null = null

  get isDisposed(): boolean {
    return this.disposing !== null
  }

  /** How many disposables are held (tests: nothing left after work settles). */
  get size(): number {
    return this.items.size
  }

  add<T extends Disposable>(item: T): T {
    if (this.disposing) {
      void Promise.resolve(item.dispose()).catch(() => {})
      return item
    }
    this.items.add(item)
    return item
  }

  /** Forget a disposable without disposing it (it released itself, e.g. a timer that fired). */
  delete(item: Disposable): void {
    this.items.delete(item)
  }

  dispose(): Promise<void> {
    if (!this.disposing) this.disposing = this.disposeAll()
    return this.disposing
  }

  private async disposeAll(): Promise<void> {
    const errors: unknown[] = []
    for (const item of [...this.items].reverse()) {
      this.items.delete(item)
      try {
        // Synchronous disposables are released synchronously: a store of them is empty on return.
        const done = item.dispose()
        if (done) await done
      } catch (error) {
        errors.push(error)
      }
    }
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, 'Several disposables failed')
  }
}

/** Holds at most one disposable; setting another disposes the previous one (a re-armed timer). */
export class MutableDisposable<T extends Disposable = Disposable> implements Disposable {
  private current: T | null = null
  private disposed = false

  get value(): T | null {
    return this.current
  }

  set value(next: T | null) {
    if (this.current === next) return
    const previous = this.current
    this.current = null
    if (previous) void Promise.resolve(previous.dispose()).catch(() => {})
    if (next && this.disposed) {
      void Promise.resolve(next.dispose()).catch(() => {})
      return
    }
    this.current = next
  }

  clear(): void {
    this.value = null
  }

  dispose(): void | Promise<void> {
    this.disposed = true
    const previous = this.current
    this.current = null
    return previous?.dispose()
  }
}
