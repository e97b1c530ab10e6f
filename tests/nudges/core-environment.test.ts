import { describe, expect, it } from 'vitest'
import type { Nudge } from '../../common/contract/api'
import { Core } from '../../main/core/core'
import { SimulatedClock } from '../../main/core/lifecycle'
import { clientOf, fakeInvitation } from '../helpers/core'
import { tempDir } from '../helpers/process'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A joined champion's core on a simulated clock, LinkedIn only, with one published item. */
async function openCore(clock: SimulatedClock, timeZone: string | null) {
  const events: Nudge[] = []
  const core = await Core.open({
    dataDir: tempDir('pv-nudge-env-'),
    clock,
    joinWaitMs: 1,
    opener: { open: async () => {} },
    onNudge: (nudge) => events.push(nudge),
  })
  const client = clientOf(core)
  const joining = client.call('workspace.join', {
    invitation: fakeInvitation({ role: 'champion' }),
  })
  await tick()
  clock.advance(1)
  await joining
  await client.call('settings.update', { timeZone, networks: ['linkedin'] })
  const item = await client.call('item.create', {
    title: 'News',
    url: 'https://example.com/news',
    objective: 'awareness',
    status: 'published',
  })
  await tick()
  await tick()
  return { core, client, events, itemId: item.id }
}

describe('nudges and what happens around them (core, simulated clock)', () => {
  it('a share of the nudged item records the nudge as shared', async () => {
    const clock = new SimulatedClock('2026-03-02T04:00:00Z')
    const { core, client, events, itemId } = await openCore(clock, 'Europe/Paris')
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
})
