import type { Nudge } from '../../common/contract/api'
import { Core, type CoreOptions } from '../../main/core/core'
import type { SimulatedClock } from '../../main/core/lifecycle'
import { clientOf, fakeInvitation } from './core'
import { tempDir } from './process'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A joined champion's in-process core on a simulated clock, sharing on LinkedIn only, its time
 * zone setting `timeZone` (null: the system's), with one published item for nudges to plan
 * ('News'); `extra` over the core's options. Resolves with the nudges it sends and its log lines.
 */
export async function openNudgingCore(
  clock: SimulatedClock,
  timeZone: string | null,
  extra: Partial<CoreOptions> = {},
) {
  const events: Nudge[] = []
  const logs: string[] = []
  const core = await Core.open({
    log: (line) => logs.push(line),
    dataDir: tempDir('pv-nudge-core-'),
    clock,
    joinWaitMs: 1,
    opener: { open: async () => {} },
    onNudge: (nudge) => events.push(nudge),
    ...extra,
  })
  const client = clientOf(core)
  const joining = client.call('workspace.join', {
    invitation: fakeInvitation({ role: 'champion' }),
  })
  // The join waits joinWaitMs on the core's clock for a relay that never answers.
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
  return { core, client, events, logs, itemId: item.id }
}
