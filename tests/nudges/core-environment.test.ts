import { describe, expect, it } from 'vitest'
import type { Nudge } from '../../common/contract/api'
import { Core } from '../../main/core/core'
import { SimulatedClock } from '../../main/core/lifecycle'
import { systemTimeZone } from '../../main/core/nudges/time'
import { clientOf } from '../helpers/core'
import { openNudgingCore } from '../helpers/nudge-core'
import { tempDir } from '../helpers/process'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('nudges and what happens around them (core, simulated clock)', () => {
  it('a share of the nudged item records the nudge as shared', async () => {
    const clock = new SimulatedClock('2026-03-02T04:00:00Z')
    const { core, client, events, itemId } = await openNudgingCore(clock, 'Europe/Paris')
    try {
      const planned = Date.parse((await client.call('nudge.preview', {})).next?.at ?? '')
      clock.advance(planned - clock.now())
      await tick()
      expect(events).toHaveLength(1)
      const nudge = events[0] as Nudge
      await client.call('nudge.opened', { id: nudge.id })
      expect(core.nudges.store.get(nudge.id)?.outcome).toBe('opened')
      clock.advance(10 * 60_000)
      await client.call('share.perform', { itemId, network: 'linkedin', text: 'Worth a read' })
      expect(core.nudges.store.get(nudge.id)?.outcome).toBe('shared')
    } finally {
      await core.close()
    }
  })

  it("a time-zone change from the OS replans in the new zone ('system' setting)", async () => {
    const clock = new SimulatedClock('2026-03-02T04:00:00Z')
    const { core, client } = await openNudgingCore(clock, null)
    try {
      const before = (await client.call('nudge.preview', {})).next?.at
      expect(before).toBeDefined()
      // A zone far from the process's own, so the plan must move.
      const own = systemTimeZone()
      const zone = own === 'Pacific/Auckland' ? 'America/Los_Angeles' : 'Pacific/Auckland'
      await client.call('system.changed', { what: 'time-zone', timeZone: zone })
      const after = (await client.call('nudge.preview', {})).next?.at
      expect(after).toBeDefined()
      expect(after).not.toBe(before)
      // The same plan as a person who set that zone in Settings.
      await client.call('settings.update', { timeZone: zone })
      expect((await client.call('nudge.preview', {})).next?.at).toBe(after)
      await expect(
        client.call('system.changed', { what: 'time-zone', timeZone: 'Mars/Olympus' }),
      ).rejects.toThrow(/time zone/)
      await expect(
        client.call('system.changed', { what: 'time-zone', timeZone: '+02:00' }),
      ).rejects.toThrow(/time zone/)
    } finally {
      await core.close()
    }
  })

  it('a wall-clock jump is seen at the next timer of the core and replans at once', async () => {
    const clock = new SimulatedClock('2026-03-02T04:00:00Z')
    const { core, client, events, logs } = await openNudgingCore(clock, 'Europe/Paris')
    try {
      const planned = Date.parse((await client.call('nudge.preview', {})).next?.at ?? '')
      expect(planned).toBeGreaterThan(clock.now())
      // The wall clock is set two hours past the planned nudge; the monotonic clock does not move.
      clock.jump(planned - clock.now() + 2 * 3_600_000)
      // Any timer of the core that fires (here one of ours, a second later) notices it.
      core.clock.setTimeout(() => {}, 1_000)
      clock.advance(1_000)
      await tick()
      expect(logs.some((line) => line.startsWith('core: clock ('))).toBe(true)
      // Replanned from the new now: shown at once, or planned ahead, never left in the past.
      const next = (await client.call('nudge.preview', {})).next
      expect(events.length === 1 || Date.parse(next?.at ?? '') > clock.now()).toBe(true)
      // Small differences (timers a little late) are not jumps.
      const count = logs.length
      clock.jump(30_000)
      core.clock.setTimeout(() => {}, 1_000)
      clock.advance(1_000)
      expect(logs.slice(count).some((line) => line.startsWith('core: clock'))).toBe(false)
    } finally {
      await core.close()
    }
  })

  it("the first plan after a restart runs on the core's clock", async () => {
    const dataDir = tempDir('pv-nudge-env-')
    const first = await openNudgingCore(
      new SimulatedClock('2026-03-02T04:00:00Z'),
      'Europe/Paris',
      {
        dataDir,
      },
    )
    await first.core.close()
    const clock = new SimulatedClock('2026-03-02T04:05:00Z')
    const core = await Core.open({ dataDir, clock, joinWaitMs: 1 })
    try {
      const client = clientOf(core)
      // Nothing changed since the start: the first plan waits its moment, then comes.
      expect((await client.call('nudge.preview', {})).next).toBeNull()
      clock.advance(1_000)
      await tick()
      expect((await client.call('nudge.preview', {})).next?.title).toBe('News')
    } finally {
      await core.close()
    }
    expect(clock.pending).toBe(0)
  })
})
