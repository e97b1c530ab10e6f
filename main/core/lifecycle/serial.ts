/**
 * An async task run one at a time, that may be asked for again while it runs: a kick then makes
 * exactly one more run follow the one under way (however many kicks came). Once a run ends with
 * no kick pending, `after` (schedule the next). Once `stopped()`, no run starts and nothing
 * follows the one under way. The outbox sender's passes and the results fetcher's rounds.
 */
export class SerialRunner {
  private current: Promise<void> | null = null
  private again = false

  constructor(
    private readonly o: {
      run: () => Promise<void>
      /** Just before each run (a pending wake-up timer is cleared). */
      before: () => void
      after: () => void
      stopped: () => boolean
      /** A run rejected (its own catch missed something): logged, and the runner goes on. */
      failed: (error: unknown) => void
    },
  ) {}

  /** Run now, or once more after the run under way. */
  kick(): void {
    if (this.o.stopped()) return
    if (this.current) {
      this.again = true
      return
    }
    this.o.before()
    // Caught before `finally`: otherwise an unhandled rejection, and idle() would rethrow it.
    this.current = this.o
      .run()
      .catch((error: unknown) => this.o.failed(error))
      .finally(() => {
        this.current = null
        if (this.o.stopped()) return
        if (this.again) {
          this.again = false
          this.kick()
        } else this.o.after()
      })
  }

  /** One more run after the one under way, if any (none starts now). */
  againIfRunning(): void {
    if (this.current) this.again = true
  }

  /** The run under way, or null. */
  get running(): Promise<void> | null {
    return this.current
  }

  /** Resolves once no run is under way nor following. */
  async idle(): Promise<void> {
    while (this.current) await this.current
  }
}
