import { describe, expect, it } from 'vitest'
import {
  clockFromEnv,
  DisposableStore,
  MutableDisposable,
  ScaledClock,
  SimulatedClock,
  SystemClock,
  toDisposable,
} from '../../main/core/lifecycle'

describe('DisposableStore', () => {
  it('disposes in reverse order, waits for async disposables, and disposes late additions', async () => {
    const order: string[] = []
    const store = new DisposableStore()
    store.add(toDisposable(() => void order.push('first')))
    store.add(
      toDisposable(async () => {
        await new Promise((resolve) => setImmediate(resolve))
        order.push('second (async)')
      }),
    )
    store.add(toDisposable(() => void order.push('third')))
    await store.dispose()
    expect(order).toEqual(['third', 'second (async)', 'first'])
    expect(store.size).toBe(0)
    store.add(toDisposable(() => void order.push('late')))
    expect(order.at(-1)).toBe('late')
  })

  it('keeps disposing after one throws, then reports the error', async () => {
    const store = new DisposableStore()
    let ran = false
    store.add(
      toDisposable(() => {
        ran = true
      }),
    )
    store.add(
      toDisposable(() => {
        throw new Error('boom')
      }),
    )
    await expect(store.dispose()).rejects.toThrow('boom')
    expect(ran).toBe(true)
  })

  it('MutableDisposable disposes what it replaces', () => {
    const gone: number[] = []
    const slot = new MutableDisposable()
    slot.value = toDisposable(() => void gone.push(1))
    slot.value = toDisposable(() => void gone.push(2))
    expect(gone).toEqual([1])
    slot.dispose()
    expect(gone).toEqual([1, 2])
    slot.value = toDisposable(() => void gone.push(3))
    expect(gone).toEqual([1, 2, 3])
  })
})

describe('SimulatedClock', () => {
  it('runs timers in order with now() at their due time', () => {
    const clock = new SimulatedClock('2026-03-01T00:00:00Z')
    const seen: [string, string][] = []
    const at = (label: string) => () => seen.push([label, new Date(clock.now()).toISOString()])
    clock.setTimeout(at('b'), 2_000)
    clock.setTimeout(at('a'), 1_000)
    const cancelled = clock.setTimeout(at('never'), 1_500)
    cancelled.dispose()
    const every = clock.setInterval(at('tick'), 1_200)
    clock.advance(2_500)
    every.dispose()
    expect(seen).toEqual([
      ['a', '2026-03-01T00:00:01.000Z'],
      ['tick', '2026-03-01T00:00:01.200Z'],
      ['b', '2026-03-01T00:00:02.000Z'],
      ['tick', '2026-03-01T00:00:02.400Z'],
    ])
    expect(clock.now()).toBe(Date.parse('2026-03-01T00:00:02.500Z'))
    expect(clock.pending).toBe(0)
    expect(clock.fired).toBe(4)
  })

  it('sleep moves the wall clock, not the timers (they fire late, as after a suspend)', () => {
    const clock = new SimulatedClock(0)
    const fired: number[] = []
    clock.setTimeout(() => fired.push(clock.now()), 60_000)
    clock.sleep(3_600_000)
    expect(fired).toEqual([])
    clock.advance(60_000)
    expect(fired).toEqual([3_660_000])
  })
})

describe('SystemClock', () => {
  it('counts live timers and releases them on dispose', async () => {
    const clock = new SystemClock()
    const timeout = clock.setTimeout(() => {}, 60_000)
    const interval = clock.setInterval(() => {}, 60_000)
    expect(clock.pending).toBe(2)
    timeout.dispose()
    interval.dispose()
    expect(clock.pending).toBe(0)
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 1))
    expect(clock.pending).toBe(0)
    expect(clock.fired).toBe(1)
  })
})

describe('DisposableStore, synchronous part', () => {
  it('releases synchronous disposables before dispose() returns', () => {
    const store = new DisposableStore()
    const gone: number[] = []
    for (const n of [1, 2, 3]) store.add(toDisposable(() => void gone.push(n)))
    void store.dispose()
    expect(gone).toEqual([3, 2, 1])
  })
})

describe('ScaledClock', () => {
  it('starts where told, runs faster, and fires timers in scaled time', async () => {
    const clock = new ScaledClock(Date.parse('2026-03-02T08:00:00Z'), 3_600)
    expect(clock.now()).toBeGreaterThanOrEqual(Date.parse('2026-03-02T08:00:00Z'))
    // An hour of clock time is a second of real time.
    const fired = await new Promise<number>((resolve) =>
      clock.setTimeout(() => resolve(clock.now()), 3_600_000),
    )
    expect(fired).toBeGreaterThanOrEqual(Date.parse('2026-03-02T09:00:00Z'))
    expect(clock.pending).toBe(0)
    expect(clockFromEnv({})).toBeInstanceOf(SystemClock)
    expect(clockFromEnv({ PORTE_VOIX_CLOCK_SPEED: '60' })).toBeInstanceOf(ScaledClock)
  })
})
