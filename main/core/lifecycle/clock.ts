import type { Disposable } from './disposable'

/**
 * The core's one source of time. Components read the wall clock with `now()` and schedule with
 * `setTimeout` / `setInterval`, which return a Disposable (disposing cancels). Delays run on the
 * monotonic clock, as Node's timers do: a wall-clock jump or a machine asleep does not move them,
 * so anything aimed at a wall-clock instant checks `now()` when it fires (see the nudge scheduler).
 * Tests replace it with a SimulatedClock and run months in milliseconds.
 */
export interface Clock {
  /** Wall-clock time, milliseconds since the epoch. */
  now(): number
  /** Monotonic time in ms (any origin): compared with now() it shows wall-clock jumps. */
  monotonic(): number
  setTimeout(fn: () => void, delayMs: number): Disposable
  setInterval(fn: () => void, everyMs: number): Disposable
}

/** Node caps a timer's delay at 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_NODE_DELAY = 2 ** 31 - 1

/**
 * Node's timers, unref'd: the core's background work never keeps a process alive on its own (the
 * host or the utility process owns its lifetime). Counts live timers and wake-ups, so tests can
 * check that nothing outlives close() and the bench can count wake-ups at rest.
 */
export class SystemClock implements Clock {
  private live = 0
  private wakeups = 0

  now(): number {
    return Date.now()
  }

  monotonic(): number {
    return performance.now()
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.live
  }

  /** Timer callbacks run so far. */
  get fired(): number {
    return this.wakeups
  }

  setTimeout(fn: () => void, delayMs: number): Disposable {
    let handle: NodeJS.Timeout | null = null
    let remaining = Math.max(0, delayMs)
    this.live++
    const arm = () => {
      const step = Math.min(remaining, MAX_NODE_DELAY)
      remaining -= step
      handle = setTimeout(() => {
        if (remaining > 0) return arm()
        handle = null
        this.live--
        this.wakeups++
        fn()
      }, step)
      handle.unref()
    }
    arm()
    return {
      dispose: () => {
        if (!handle) return
        clearTimeout(handle)
        handle = null
        this.live--
      },
    }
  }

  setInterval(fn: () => void, everyMs: number): Disposable {
    let handle: NodeJS.Timeout | null = setInterval(
      () => {
        this.wakeups++
        fn()
      },
      Math.max(1, Math.min(everyMs, MAX_NODE_DELAY)),
    )
    handle.unref()
    this.live++
    return {
      dispose: () => {
        if (!handle) return
        clearInterval(handle)
        handle = null
        this.live--
      },
    }
  }
}

type SimTimer = {
  id: number
  /** Due on the simulated monotonic clock. */
  due: number
  fn: () => void
  every: number | null
}

/**
 * A clock for tests and the nudge simulator. Time moves only when told:
 * - `advance(ms)` runs the timers that come due, in order, each with `now()` at its due time;
 * - `jump(ms)` moves the wall clock only (a manual change, NTP, a time-zone-less correction);
 * - `sleep(ms)` is a machine asleep: the wall clock moves on, the timers do not (Linux's and
 *   macOS's monotonic clocks stop during suspend), so they fire late — what resume must repair.
 */
export class SimulatedClock implements Clock {
  private wall: number
  private mono = 0
  private nextId = 1
  private readonly timers = new Map<number, SimTimer>()
  private wakeups = 0

  constructor(start: number | string | Date = 0) {
    this.wall = typeof start === 'number' ? start : new Date(start).getTime()
    if (!Number.isFinite(this.wall)) throw new Error(`SimulatedClock: bad start ${String(start)}`)
  }

  now(): number {
    return this.wall
  }

  monotonic(): number {
    return this.mono
  }

  get pending(): number {
    return this.timers.size
  }

  get fired(): number {
    return this.wakeups
  }

  /** Wall-clock instant of the next timer, as things stand (null when none). */
  nextDue(): number | null {
    const next = this.earliest()
    return next ? this.wall + (next.due - this.mono) : null
  }

  setTimeout(fn: () => void, delayMs: number): Disposable {
    return this.add(fn, Math.max(0, delayMs), null)
  }

  setInterval(fn: () => void, everyMs: number): Disposable {
    const every = Math.max(1, everyMs)
    return this.add(fn, every, every)
  }

  /** Move time forward by `ms`, running every timer that comes due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.mono + Math.max(0, ms))
  }

  /** Advance to a wall-clock instant (ISO or epoch ms). */
  advanceToWall(at: number | string): void {
    const target = typeof at === 'number' ? at : Date.parse(at)
    this.advance(target - this.wall)
  }

  /** Like advance, yielding to the event loop after each timer so promises they start can settle. */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.mono + Math.max(0, ms)
    for (;;) {
      const next = this.earliest()
      if (!next || next.due > end) break
      this.fire(next)
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    this.wall += end - this.mono
    this.mono = end
  }

  jump(ms: number): void {
    this.wall += ms
  }

  sleep(ms: number): void {
    this.wall += Math.max(0, ms)
  }

  private add(fn: () => void, delay: number, every: number | null): Disposable {
    const timer: SimTimer = { id: this.nextId++, due: this.mono + delay, fn, every }
    this.timers.set(timer.id, timer)
    return { dispose: () => void this.timers.delete(timer.id) }
  }

  private earliest(): SimTimer | null {
    let best: SimTimer | null = null
    for (const timer of this.timers.values()) {
      if (!best || timer.due < best.due || (timer.due === best.due && timer.id < best.id))
        best = timer
    }
    return best
  }

  private advanceTo(end: number): void {
    for (;;) {
      const next = this.earliest()
      if (!next || next.due > end) break
      this.fire(next)
    }
    this.wall += end - this.mono
    this.mono = end
  }

  private fire(timer: SimTimer): void {
    this.wall += timer.due - this.mono
    this.mono = timer.due
    if (timer.every === null) this.timers.delete(timer.id)
    else timer.due += timer.every
    this.wakeups++
    timer.fn()
  }
}

/**
 * A compressed clock for end-to-end runs: starts at `start` and runs `speed` times faster than
 * real time (a day in 86 s at speed 1000), on Node's timers. The dev host uses it when
 * PORTE_VOIX_CLOCK_SPEED is set, so a browser test can wait for a nudge planned hours ahead.
 */
export class ScaledClock implements Clock {
  private readonly real = new SystemClock()
  private readonly realStart = Date.now()

  constructor(
    private readonly start: number,
    private readonly speed: number,
  ) {
    if (!(speed > 0) || !Number.isFinite(start)) throw new Error('ScaledClock: bad start or speed')
  }

  now(): number {
    return this.start + (Date.now() - this.realStart) * this.speed
  }

  monotonic(): number {
    return performance.now() * this.speed
  }

  get pending(): number {
    return this.real.pending
  }

  setTimeout(fn: () => void, delayMs: number): Disposable {
    return this.real.setTimeout(fn, delayMs / this.speed)
  }

  setInterval(fn: () => void, everyMs: number): Disposable {
    return this.real.setInterval(fn, everyMs / this.speed)
  }
}

/** The clock the environment asks for: PORTE_VOIX_CLOCK_SPEED (and _START, ISO) or the system's. */
export function clockFromEnv(env: NodeJS.ProcessEnv): Clock {
  const speed = Number(env.PORTE_VOIX_CLOCK_SPEED ?? '')
  if (!(speed > 0) || speed === 1) return new SystemClock()
  const start = env.PORTE_VOIX_CLOCK_START ? Date.parse(env.PORTE_VOIX_CLOCK_START) : Date.now()
  return new ScaledClock(start, speed)
}
