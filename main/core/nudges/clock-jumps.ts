import type { Clock, Disposable } from '../lifecycle'

/** A wall clock that moved this much more (or less) than the monotonic clock has jumped. */
export const JUMP_THRESHOLD_MS = 60_000

/**
 * The core's clock, watching for wall-clock jumps (a manual change, an NTP step) that no OS
 * event reports: timers run on the monotonic clock, so each one that fires first compares how far
 * both clocks moved since the last look (two reads, no timer of its own: no polling). The nudge
 * scheduler's own wake is one of those timers; the others (sync, outbox, feeds) only make the
 * check sooner. A machine asleep looks like a jump too (the monotonic clock stops), which is
 * right: resume replans as well.
 */
export class JumpWatchingClock implements Clock {
  private wall: number
  private mono: number

  constructor(
    private readonly inner: Clock,
    private readonly onJump: (driftMs: number) => void,
    private readonly thresholdMs = JUMP_THRESHOLD_MS,
  ) {
    this.wall = inner.now()
    this.mono = inner.monotonic()
  }

  now(): number {
    return this.inner.now()
  }

  monotonic(): number {
    return this.inner.monotonic()
  }

  setTimeout(fn: () => void, delayMs: number): Disposable {
    return this.inner.setTimeout(() => {
      this.check()
      fn()
    }, delayMs)
  }

  setInterval(fn: () => void, everyMs: number): Disposable {
    return this.inner.setInterval(() => {
      this.check()
      fn()
    }, everyMs)
  }

  /** Compare both clocks' advance since the last check; tell of a jump beyond the threshold. */
  check(): void {
    const wall = this.inner.now()
    const mono = this.inner.monotonic()
    const drift = wall - this.wall - (mono - this.mono)
    this.wall = wall
    this.mono = mono
    if (Math.abs(drift) > this.thresholdMs) this.onJump(drift)
  }
}
