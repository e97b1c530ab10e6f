/**
 * Recognition and the team's results through a real relay: a champion's core sets point weights
 * and CPC/CPM, a challenge and a conversion key; an employee's core shares, its link is clicked,
 * a sign-up is posted with the key; the board reaches both cores, and recognition.mine counts my
 * points on my device, with my rank only once I opt in.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { ContractError } from '../../common/contract/messages'
import type { Core } from '../../main/core/core'
import { publishItem, queueSynced, refreshedUntil } from '../helpers/core'
import { FIREFOX, followShortLink } from '../helpers/landing'
import { removeTempDir, tempDir } from '../helpers/process'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { ERIC, joinWith, openRelayCore } from './opened'

const PUBLIC = 'http://go.porte-voix.test'

const cores: { core: Core; dir: string }[] = []
let relay: RelayProcess | undefined

afterAll(async () => {
  for (const { core, dir } of cores) {
    await core.close()
    removeTempDir(dir)
  }
  await stopRelay(relay)
})

async function openCore() {
  const dir = tempDir('pv-recognition-')
  const opened = await openRelayCore(dir)
  cores.push({ core: opened.core, dir })
  return opened
}

async function refused(call: Promise<unknown>): Promise<string> {
  try {
    await call
  } catch (error) {
    return error instanceof ContractError ? error.code : String(error)
  }
  return 'resolved'
}

describe('recognition and the board through a real relay', () => {
  it('counts my points on my device, ranks me only when opted in, and moves the campaign with a conversion', async () => {
    relay = await startRelay({ args: ['--public-url', PUBLIC, '--board-debounce-ms', '50'] })
    const workspaceId = await relay.createWorkspace('Acme')
    const champion = await openCore()
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    const campaign = await champion.client.call('campaign.create', {
      name: 'Launch',
      objective: 'campaign',
      goalMetric: 'sign-ups',
      goalTarget: 5,
      goalKind: 'conversions',
      deadline: new Date(Date.now() + 20 * 86_400_000).toISOString(),
    })
    const item = await publishItem(champion.client, 'Launch', 'linkedin', {
      objective: 'talent',
      campaignId: campaign.id,
    })
    expect(await champion.client.call('workspace.settings.get', {})).toEqual({
      points: { share: 10, click: 1, conversion: 25 },
      value: null,
    })
    await champion.client.call('workspace.settings.update', {
      points: { share: 5, click: 2, conversion: 100 },
      value: { currency: 'EUR', cpc: 1.5, cpm: 10 },
    })
    const challenge = await champion.client.call('challenge.create', {
      name: 'Talent month',
      metric: 'points',
      filter: { objective: 'talent' },
      startsAt: new Date(Date.now() - 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 10 * 86_400_000).toISOString(),
      prize: 'A lunch',
    })
    expect(await champion.client.call('challenge.list', {})).toEqual([challenge])
    const renamed = await champion.client.call('challenge.update', {
      id: challenge.id,
      patch: { name: 'Talent weeks' },
    })
    expect(renamed.name).toBe('Talent weeks')
    // A patch that breaks the period as a whole is refused.
    expect(
      await refused(
        champion.client.call('challenge.update', {
          id: challenge.id,
          patch: { endsAt: new Date(Date.now() - 2 * 86_400_000).toISOString() },
        }),
      ),
    ).toBe('bad_request')

    const employee = await openCore()
    await joinWith(employee.client, relay, { workspaceId, ...ERIC })
    await waitFor(
      'queue and settings synced',
      async () =>
        (await employee.client.call('queue.forMe', {})).length === 1 &&
        (await employee.client.call('challenge.list', {})).length === 1 &&
        (await employee.client.call('workspace.settings.get', {})).value !== null,
    )
    await queueSynced(employee.client)
    // Employees read settings and challenges; only curators change them.
    expect(
      await refused(
        employee.client.call('workspace.settings.update', {
          points: { share: 1000, click: 0, conversion: 0 },
        }),
      ),
    ).toBe('forbidden')
    expect(await refused(employee.client.call('challenge.remove', { id: challenge.id }))).toBe(
      'forbidden',
    )
    expect(
      await refused(
        employee.client.call('campaign.createConversionKey', { campaignId: campaign.id }),
      ),
    ).toBe('forbidden')

    const share = await employee.client.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Join us',
    })
    const code = share.trackedUrl.slice(`${PUBLIC}/s/`.length)
    await waitFor('the relay redirects and counts', async () => {
      return (await followShortLink(`${relay?.httpUrl}/s/${code}`, FIREFOX)).status === 302
    })

    const { key, endpoint } = await champion.client.call('campaign.createConversionKey', {
      campaignId: campaign.id,
    })
    expect(endpoint).toBe(`${relay.httpUrl}/api/v1/conversions`)
    const posted = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-porte-voix-conversion-key': key },
      body: JSON.stringify({
        idempotencyId: 'signup-1',
        utmContent: share.shareId,
        kind: 'signup',
      }),
    })
    expect(posted.status).toBe(200)

    // The board reaches the champion's core (board.changed) with the campaign's progress.
    const changed: (string | null)[] = []
    champion.client.on('board.changed', ({ updatedAt }) => changed.push(updatedAt))
    const board = await waitFor('campaign progress on the board', async () => {
      const b = await champion.client.call('board.get', {})
      const c = b.campaigns.find((row) => row.campaignId === campaign.id)
      return c?.conversions === 1 && c.shares === 1 ? b : null
    })
    expect(board.items.find((row) => row.itemId === item.id)).toMatchObject({
      shares: 1,
      clicks: 1,
      conversions: 1,
    })
    expect(board.leaderboard?.rows).toEqual([])
    await waitFor('board.changed reached the window', () => (changed.length > 0 ? true : null))

    // My points, counted on my device: one share (5), one unique click (2), one sign-up (100).
    await refreshedUntil(employee.client, 'fetched from the relay', async () => {
      const stats = await employee.client.call('results.mine', {})
      return stats.totals.clicks === 1 && stats.totals.conversions === 1
    })
    const mine = await employee.client.call('recognition.mine', {})
    expect(mine).toMatchObject({
      weights: { share: 5, click: 2, conversion: 100 },
      month: new Date().toISOString().slice(0, 7),
      monthPoints: 107,
      allTimePoints: 107,
      optedIn: false,
      rank: null,
    })
    expect(mine.challenges).toEqual([
      { challenge: renamed, myScore: 107, teamScore: 107, rank: null },
    ])
    // Earned media value: 1 click × 1.5 + 400 impressions ÷ 1000 × 10.
    await employee.client.call('settings.update', { audience: { linkedin: 400 } })
    expect((await employee.client.call('results.mine', {})).earnedMediaValue).toEqual({
      currency: 'EUR',
      amount: 5.5,
      clicks: 1,
      impressions: 400,
      cpc: 1.5,
      cpm: 10,
    })

    // Opted in: the board names me and my rank comes from it.
    await employee.client.call('settings.update', { leaderboardOptIn: true })
    await refreshedUntil(
      employee.client,
      'ranked after opting in',
      async () => (await employee.client.call('recognition.mine', {})).rank === 1,
    )
    const ranked = await employee.client.call('recognition.mine', {})
    expect(ranked.challenges[0]).toMatchObject({ myScore: 107, teamScore: 107, rank: 1 })
    const named = await employee.client.call('board.get', {})
    expect(named.leaderboard?.rows).toMatchObject([
      { memberId: 'mem_eric', displayName: 'Eric', points: 107, rank: 1 },
    ])

    // Removing the challenge takes it out of everyone's recognition.
    await champion.client.call('challenge.remove', { id: challenge.id })
    await waitFor('challenge gone', async () =>
      (await employee.client.call('recognition.mine', {})).challenges.length === 0 ? true : null,
    )
    // Clearing CPC/CPM: no earned media value.
    await champion.client.call('workspace.settings.update', { value: null })
    await waitFor('value cleared', async () =>
      (await employee.client.call('results.mine', {})).earnedMediaValue === null ? true : null,
    )
  })
})
