/** Runs at most `max` tasks at a time; the rest wait in call order. */
export class Limiter {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('Limiter needs max >= 1')
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    // Re-check after waking: a newcomer may have taken the freed slot first.
    while (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      return await task()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }
}
