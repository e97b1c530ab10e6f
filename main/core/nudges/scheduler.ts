import { type Clock, type Disposable, MutableDisposable } from '../lifecycle'
import { type PlanInput, type PlannedNudge, planNext } from './plan'

export type NudgeSchedulerOptions = {
  clock: Clock
  /** The state to plan from, as of now; null when there is nothing to plan for (not joined). */
  state: () => Omit<PlanInput, 'now'> | null
  /** Show this nudge (record it, tell the windows); the scheduler replans right after. */
  show: (nudge: PlannedNudge) => void
  /**
   * Longest single wait. Timers run on the monotonic clock while nudges aim at wall-clock
   * instants: a wall-clock change that no resume or time-zone event reports is caught within this.
   */
  maxWaitMs?: number
  log?: (line: string) => void
}

/** A nudge planned this close ahead (or already due) is shown now rather than waited for. */
const DUE_MS = 30_000

/**
 * One timer to the next decision, no polling. `recompute()` replans from the current state; the
 * core calls it when settings, content, shares, outcomes, the time zone or the wall clock change
 * and on resume from sleep. A timer that fires late (after a sleep) replans from now: what was
 * missed is not replayed, at most one nudge is shown and the next waits the minimum gap.
 */
export class NudgeScheduler implements Disposable {
  private readonly timer = new MutableDisposable()
  private planned: PlannedNudge | null = null
  private disposed = false
  private readonly maxWaitMs: number

  constructor(private readonly options: NudgeSchedulerOptions) {
    this.maxWaitMs = options.maxWaitMs ?? 6 * 3_600_000
  }

  /** The next nudge as planned now (for "next nudge and why"). */
  get next(): PlannedNudge | null {
    return this.planned
  }

  recompute(): void {
    if (this.disposed) return
    const now = this.options.clock.now()
    const state = this.options.state()
    const planned = state ? planNext({ ...state, now }) : null
    this.planned = planned
    if (!planned) {
      this.timer.clear()
      return
    }
    if (planned.at - now <= DUE_MS) {
      this.timer.clear()
      this.planned = null
      this.options.show(planned)
      // Shown and recorded: the next one is at least the minimum gap away.
      this.recompute()
      return
    }
    const wait = Math.min(planned.at - now, this.maxWaitMs)
    this.timer.value = this.options.clock.setTimeout(() => {
      this.timer.clear()
      this.recompute()
    }, wait)
  }

  dispose(): void {
    this.disposed = true
    this.planned = null
    this.timer.dispose()
  }
}
