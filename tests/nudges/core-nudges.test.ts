import { describe, expect, it } from 'vitest'
import type { Nudge } from '../../common/contract/api'
import { Core } from '../../main/core/core'
import { SimulatedClock } from '../../main/core/lifecycle'
import { localTime } from '../../main/core/nudges/time'
import { clientOf, fakeInvitation } from '../helpers/core'
import { tempDir } from '../helpers/process'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('nudges through the core and the contract (simulated clock)', () => {
  it('plans from the queue, shows nudge.show at the planned time, learns outcomes, snoozes and pauses', async () => {
    // Monday 2 March 2026, 05:00 in Paris.
    const clock = new SimulatedClock('2026-03-02T04:00:00Z')
    const notified: Nudge[] = []
    const core = await Core.open({
      dataDir: tempDir('pv-nudge-'),
      clock,
      joinWaitMs: 1,
      onNudge: (nudge) => notified.push(nudge),
    })
    try {
      const client = clientOf(core)
      const events: Nudge[] = []
      client.on('nudge.show', (nudge) => events.push(nudge))
      const joining = client.call('workspace.join', {
        invitation: fakeInvitation({ role: 'champion' }),
      })
      await tick()
      clock.advance(1)
      await joining
      await client.call('settings.update', { timeZone: 'Europe/Paris', networks: ['linkedin'] })
      // Nothing new: nothing planned.
      expect((await client.call('nudge.preview', {})).next).toBeNull()
      for (const n of [1, 2]) {
        await client.call('item.create', {
          title: `News ${n}`,
          url: `https://example.com/news-${n}`,
          objective: 'awareness',
          status: 'published',
        })
      }
      await tick()
      await tick()
      const preview = await client.call('nudge.preview', {})
      expect(preview.next?.network).toBe('linkedin')
      expect(preview.audiences.map((a) => a.network)).toEqual(['linkedin'])
      expect(preview.audiences[0]?.hours).toHaveLength(7)
      const plannedAt = Date.parse(preview.next?.at ?? '')
      expect(plannedAt).toBeGreaterThan(clock.now())
      clock.advance(plannedAt - clock.now())
      await tick()
      expect(events).toHaveLength(1)
      expect(notified).toEqual(events)
      const nudge = events[0] as Nudge
      expect(Date.parse(nudge.at)).toBe(plannedAt)
      expect(nudge.whyText).toContain('LinkedIn')
      await client.call('nudge.opened', { id: nudge.id })
      // LinkedIn: one a day. The other item waits for tomorrow.
      const next = await client.call('nudge.preview', {})
      expect(localTime(Date.parse(next.next?.at ?? ''), 'Europe/Paris').day).toBe('2026-03-03')
      // Later until tomorrow, then paused: nothing comes while paused.
      const later = await client.call('nudge.later', { until: 'tomorrow' })
      expect(later.snoozedUntil).toBe('2026-03-02T23:00:00.000Z')
      await client.call('settings.update', { nudgesPaused: true })
      expect((await client.call('nudge.preview', {})).next).toBeNull()
      clock.advance(3 * 86_400_000)
      await tick()
      expect(events).toHaveLength(1)
      await client.call('settings.update', { nudgesPaused: false })
      await tick()
      // Unpaused inside a good window: the other item comes at once, or is planned.
      const resumed = await client.call('nudge.preview', {})
      const titles = [...events.map((e) => e.title), resumed.next?.title].filter(Boolean)
      expect(new Set(titles)).toEqual(new Set(['News 1', 'News 2']))
      await expect(client.call('nudge.dismiss', { id: 'ndg_unknown' })).rejects.toThrow(/No nudge/)
      await client.call('system.changed', { what: 'resume' })
    } finally {
      await core.close()
    }
    expect(clock.pending).toBe(0)
  })
})
