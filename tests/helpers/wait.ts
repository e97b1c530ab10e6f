import { inspect } from 'node:util'

export type WaitOptions = {
  /** Give up after this long; generous by default (tests assert no timing). */
  timeoutMs?: number
  /** Pause between checks. */
  intervalMs?: number
}

type Falsy = false | 0 | 0n | '' | null | undefined
export type Truthy<T> = Exclude<T, Falsy>

/**
 * Poll `check` until it returns a truthy value, and resolve with that value. A check that throws
 * counts as not met yet; when time runs out the error says what was awaited and what the last
 * check returned or threw.
 *
 *   const item = await waitFor('item at the employee', async () =>
 *     (await employee.client.call('queue.list', {})).find((i) => i.id === id),
 *   )
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 20_000, intervalMs = 10 }: WaitOptions = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs
  let last: { value: unknown } | { error: unknown } = { value: undefined }
  for (;;) {
    try {
      const value = await check()
      if (value) return value as Truthy<T>
      last = { value }
    } catch (error) {
      last = { error }
    }
    if (Date.now() > deadline) {
      const seen =
        'error' in last
          ? `threw ${last.error instanceof Error ? last.error.message : inspect(last.error)}`
          : inspect(last.value, { depth: 2, breakLength: Number.POSITIVE_INFINITY })
      throw new Error(`${what} not met within ${timeoutMs} ms (last: ${seen})`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
