import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type MyResults, MyResultsRequest } from '../../common/model/results'
import { newShareId } from '../../common/share'
import { SimulatedClock } from '../../main/core/lifecycle'
import { NudgeStore } from '../../main/core/nudges/nudge-store'
import { computeMyStats } from '../../main/core/results/my-stats'
import { ResultsFetcher } from '../../main/core/results/results-fetcher'
import { ResultsStore } from '../../main/core/results/results-store'
import { ShareStore } from '../../main/core/shares/share-store'
import { openDatabase } from '../../main/core/store/database'
import type { StoredSession } from '../../main/core/store/session'

const owner = { workspaceId: 'ws_acme', memberId: 'mem_eric' }
const NOW = '2026-11-30T12:00:00.000Z'

/**
 * A relay stand-in on loopback speaking the shared schema of POST /api/v1/results/mine: it
 * answers only for shares whose proof matches, as the relay does (the proofs come from the
 * device's own ShareStore, which the relay would have received in the share reports).
 */
async function resultsServer(answer: (ids: string[]) => MyResults, proofs: Map<string, string>) {
  const requests: MyResultsRequest[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const parsed = MyResultsRequest.safeParse(JSON.parse(body))
      if (req.url !== '/api/v1/results/mine' || !parsed.success) {
        res.writeHead(400).end()
        return
      }
      requests.push(parsed.data)
      const owned = parsed.data.shares.filter((s) => proofs.get(s.id) === s.proof).map((s) => s.id)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(owned)))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    requests,
    relayUrl: `ws://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function session(relayUrl: string): StoredSession {
  return {
    relayUrl,
    token: 'tok',
    claims: { ws: owner.workspaceId, sub: owner.memberId, name: 'Eric', role: 'member' },
    joinedAt: NOW,
  } as unknown as StoredSession
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function setup() {
  const db = openDatabase({ file: ':memory:' })
  cleanups.push(() => {
    db.close()
  })
  const shares = new ShareStore(db)
  const results = new ResultsStore(db)
  const record = (
    itemId: string,
    network: 'linkedin' | 'x',
    sharedAt: string,
    delivered = true,
  ) => {
    const id = newShareId()
    shares.recordShare(
      owner,
      { id, itemId, network, objective: 'awareness', campaignId: null, sharedAt },
      sharedAt,
    )
    if (delivered) shares.markDelivered([id], sharedAt)
    return id
  }
  return { db, shares, results, record }
}

describe('my results (clicks and conversions of my shares, kept in SQLite)', () => {
  it('fetches with ownership proofs, replaces per share (a re-fetch counts nothing twice), feeds the nudges and survives the relay going away', async () => {
    const { db, shares, results, record } = setup()
    const a = record('item_a', 'linkedin', '2026-11-28T09:00:00.000Z')
    const b = record('item_b', 'x', '2026-11-29T09:00:00.000Z')
    const pending = record('item_c', 'x', '2026-11-30T09:00:00.000Z', false)
    const proofs = new Map([a, b, pending].map((id) => [id, shares.proof(id)]))
    let clicksOfA = [
      { shareId: a, at: '2026-11-28T21:05:00.000Z', unique: true },
      { shareId: a, at: '2026-11-28T21:30:00.000Z', unique: false },
    ]
    const relay = await resultsServer(
      (ids) => ({
        clicks: [...clicksOfA, { shareId: b, at: '2026-11-29T15:00:00.000Z', unique: true }]
          .filter((c) => ids.includes(c.shareId))
          .concat([
            // Another device's share: never stored, even if the relay sent it.
            { shareId: newShareId(), at: '2026-11-29T15:00:00.000Z', unique: true },
          ]),
        conversions: ids.includes(a)
          ? [
              {
                id: 'signup-1',
                shareId: a,
                at: '2026-11-28T22:00:00.000Z',
                kind: 'signup',
                value: 1,
              },
            ]
          : [],
      }),
      proofs,
    )
    cleanups.push(relay.close)
    const clock = new SimulatedClock(NOW)
    let changed = 0
    const lines: string[] = []
    const fetcher = new ResultsFetcher({
      clock,
      store: results,
      proof: (id) => shares.proof(id),
      session: () => session(relay.relayUrl),
      changed: () => changed++,
      log: (line) => lines.push(line),
      everyMs: 60_000,
      minBackoffMs: 1_000,
    })
    cleanups.push(() => fetcher.dispose())

    fetcher.kick()
    await fetcher.idle()
    // Only shares the relay has been told of are asked about, each with its proof.
    expect(relay.requests).toHaveLength(1)
    expect(relay.requests[0]?.shares.map((s) => s.id).sort()).toEqual([a, b].sort())
    expect(relay.requests[0]?.shares.every((s) => s.proof === proofs.get(s.id))).toBe(true)
    expect(changed).toBe(1)
    expect(results.clicks(owner.workspaceId)).toHaveLength(3)
    expect(results.conversions(owner.workspaceId)).toHaveLength(1)

    // The same answer again (plus one new click) replaces: 4 clicks, not 7.
    clicksOfA = [...clicksOfA, { shareId: a, at: '2026-11-29T21:10:00.000Z', unique: true }]
    clock.advance(60_000)
    await fetcher.idle()
    expect(relay.requests).toHaveLength(2)
    expect(results.clicks(owner.workspaceId)).toHaveLength(4)
    expect(results.conversions(owner.workspaceId)).toHaveLength(1)
    // The nudges learn from the same rows (network and instant).
    const nudgeClicks = new NudgeStore(db).clicks(0)
    expect(nudgeClicks.filter((c) => c.network === 'linkedin')).toHaveLength(3)
    expect(nudgeClicks.filter((c) => c.network === 'x')).toHaveLength(1)

    // The relay goes away: figures stay, the next attempts back off (1 s, then 2 s).
    await relay.close()
    clock.advance(60_000)
    await fetcher.idle()
    expect(lines.at(-1)).toMatch(/^results: /)
    expect(results.clicks(owner.workspaceId)).toHaveLength(4)
    const failures = lines.length
    clock.advance(999)
    await fetcher.idle()
    expect(lines.length).toBe(failures)
    clock.advance(1)
    await fetcher.idle()
    expect(lines.length).toBe(failures + 1)
    expect(results.fetchedAt()).toBe(new Date(Date.parse(NOW) + 60_000).toISOString())
  })

  it('a round whose session or store read throws is logged and backed off like a failed fetch', async () => {
    const { results } = setup()
    const clock = new SimulatedClock(NOW)
    const lines: string[] = []
    let reads = 0
    const fetcher = new ResultsFetcher({
      clock,
      store: results,
      proof: () => 'unused',
      session: () => {
        reads++
        if (reads === 1) throw new Error('session store unreadable')
        return null
      },
      changed: () => {},
      log: (line) => lines.push(line),
      everyMs: 60_000,
      minBackoffMs: 1_000,
    })
    cleanups.push(() => fetcher.dispose())
    fetcher.kick()
    await fetcher.idle()
    expect(lines).toEqual(['results: session store unreadable'])
    // Retried after the first back-off (1 s), not the 60 s of a round that went through.
    clock.advance(1_000)
    await fetcher.idle()
    expect(reads).toBe(2)
  })

  it('computes My stats per share, item and network, click-through from my audience, days and the hour × weekday heatmap', () => {
    const { results, record } = setup()
    const a = record('item_a', 'linkedin', '2026-11-23T09:00:00.000Z')
    const a2 = record('item_a', 'x', '2026-11-23T10:00:00.000Z')
    const b = record('item_b', 'linkedin', '2026-11-25T09:00:00.000Z')
    results.replace(
      [a, a2, b],
      {
        clicks: [
          // Monday 23 Nov 2026, 21:05 in Paris (20:05 UTC), twice by one visitor.
          { shareId: a, at: '2026-11-23T20:05:00.000Z', unique: true },
          { shareId: a, at: '2026-11-23T20:15:00.000Z', unique: false },
          { shareId: a2, at: '2026-11-24T14:00:00.000Z', unique: true },
          { shareId: b, at: '2026-11-26T08:00:00.000Z', unique: true },
        ],
        conversions: [
          { id: 'c1', shareId: b, at: '2026-11-26T09:00:00.000Z', kind: 'signup', value: null },
        ],
      },
      new Date(NOW),
    )
    const stats = computeMyStats({
      shares: results.shares(owner.workspaceId),
      clicks: results.clicks(owner.workspaceId),
      conversions: results.conversions(owner.workspaceId),
      titles: (id) => (id === 'item_a' ? 'Item A' : null),
      audience: { linkedin: 200 },
      fetchedAt: results.fetchedAt(),
      now: new Date(NOW),
      timeZone: 'Europe/Paris',
    })
    expect(stats.totals).toEqual({ shares: 3, clicks: 4, uniqueClicks: 3, conversions: 1 })
    const shareA = stats.perShare.find((s) => s.shareId === a)
    expect(shareA).toMatchObject({
      clicks: 2,
      uniqueClicks: 1,
      title: 'Item A',
      clickThrough: 1 / 200,
    })
    // No audience entered for X: no click-through rather than a made-up one.
    expect(stats.perShare.find((s) => s.shareId === a2)?.clickThrough).toBeNull()
    expect(
      stats.perItem.map((i) => [i.itemId, i.shares, i.clicks, i.uniqueClicks, i.conversions]),
    ).toEqual([
      ['item_a', 2, 3, 2, 0],
      ['item_b', 1, 1, 1, 1],
    ])
    const linkedin = stats.perNetwork.find((n) => n.network === 'linkedin')
    expect(linkedin).toMatchObject({
      shares: 2,
      clicks: 3,
      uniqueClicks: 2,
      audience: 200,
      reach: 400,
    })
    expect(linkedin?.clickThrough).toBeCloseTo(2 / 400)
    expect(stats.daily).toHaveLength(90)
    expect(stats.daily.at(-1)?.date).toBe('2026-11-30')
    expect(stats.daily.find((d) => d.date === '2026-11-23')).toEqual({
      date: '2026-11-23',
      shares: 2,
      clicks: 2,
    })
    // Monday (0) at 21:00 Paris time: both clicks of share a.
    expect(stats.heatmap[0]?.[21]).toBe(2)
    expect(stats.heatmap[1]?.[15]).toBe(1)
    expect(stats.heatmap[3]?.[9]).toBe(1)
    expect(stats.heatmap.flat().reduce((s, n) => s + n, 0)).toBe(4)
  })
})
