import type { CoreStatus, EventName, EventPayload } from '../../common/contract/api'
import type { Connection } from './api/connection'
import type { Disposable } from './lifecycle'

export type CoreEventSources = {
  status(): CoreStatus
  queueCount(): number
  pendingOutbox(): number
  /** After a coalesced queue.changed or mine.changed went out. */
  changed?(): void
}

/**
 * Events to the attached windows, coalesced: a burst of changes (a full sync, a batch of
 * deliveries) becomes one event per kind after the current turn of the event loop. Status is sent
 * only when it changed. Disposing cancels what is pending; nothing is sent afterwards.
 */
export class CoreEvents implements Disposable {
  readonly connections = new Set<Connection>()
  private lastStatus = ''
  private queuePending = false
  private minePending = false
  /** Whether the coalesced mine.changed includes a change of my shares (not only the outbox). */
  private mineShares = false
  private readonly immediates = new Set<NodeJS.Immediate>()
  private disposed = false

  constructor(private readonly sources: CoreEventSources) {}

  /** Take the current status as already known to every window (at start). */
  primeStatus(): void {
    this.lastStatus = JSON.stringify(this.sources.status())
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    if (this.disposed) return
    for (const connection of this.connections) connection.emit(name, payload)
  }

  statusMaybeChanged(): void {
    if (this.disposed) return
    const status = this.sources.status()
    const json = JSON.stringify(status)
    if (json === this.lastStatus) return
    this.lastStatus = json
    this.emit('status', status)
  }

  queueChanged(): void {
    if (this.queuePending) return
    this.queuePending = true
    this.later(() => {
      this.queuePending = false
      this.emit('queue.changed', { count: this.sources.queueCount() })
      this.sources.changed?.()
    })
  }

  mineChanged(what: { shares: boolean }): void {
    this.mineShares ||= what.shares
    if (this.minePending) return
    this.minePending = true
    this.later(() => {
      this.minePending = false
      const sharesChanged = this.mineShares
      this.mineShares = false
      this.emit('mine.changed', { pendingOutbox: this.sources.pendingOutbox(), sharesChanged })
      if (sharesChanged) this.sources.changed?.()
    })
  }

  dispose(): void {
    this.disposed = true
    for (const connection of this.connections) connection.dispose()
    this.connections.clear()
    for (const immediate of this.immediates) clearImmediate(immediate)
    this.immediates.clear()
  }

  // Coalescing is "after this turn", not a time: it stays on setImmediate, not on the clock.
  private later(fn: () => void): void {
    if (this.disposed) return
    const immediate = setImmediate(() => {
      this.immediates.delete(immediate)
      fn()
    })
    this.immediates.add(immediate)
  }
}
