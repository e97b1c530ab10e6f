import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { newShareId } from '../../common/share'
import { OutboxSender } from '../../main/core/shares/outbox-sender'
import { classify, type Outcome } from '../../main/core/shares/relay-api'
import { ShareStore } from '../../main/core/shares/share-store'
import { openDatabase } from '../../main/core/store/database'

const owner = { workspaceId: 'ws_acme', memberId: 'mem_eric' }

describe('OutboxSender backoff (fake clock, fake relay)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sends at most one request per kind while the relay is down, backs off, then delivers all', async () => {
    const store = new ShareStore(openDatabase({ file: ':memory:' }))
    let clock = new Date('2026-11-24T10:00:00.000Z')
    const calls: { url: string; token: string; body: unknown }[] = []
    let answer: Outcome = { kind: 'retry', error: 'relay unreachable (ECONNREFUSED)' }
    let changes = 0
    const sender = new OutboxSender({
      store,
      target: () => ({ owner, relayUrl: 'ws://relay.test:4455', token: 'tok' }),
      onChange: () => changes++,
      post: async (url, token, body) => {
        calls.push({ url, token, body })
        return answer
      },
      now: () => clock,
      minBackoffMs: 1_000,
      maxBackoffMs: 60_000,
    })
    const at = clock.toISOString()
    const share = {
      id: newShareId(),
      itemId: 'item_a',
      network: 'linkedin' as const,
      objective: 'awareness' as const,
      campaignId: null,
      sharedAt: at,
    }
    store.recordShare(owner, share, at)
    for (const id of ['prop_one111', 'prop_two222']) {
      store.recordProposal(
        owner,
        { id, url: 'https://a.example/', title: id, note: '', caption: '', proposedAt: at },
        at,
      )
    }
    const advance = async (ms: number) => {
      clock = new Date(clock.getTime() + ms)
      await vi.advanceTimersByTimeAsync(ms)
      await sender.idle()
    }

    sender.kick()
    await sender.idle()
    // One share batch and the first proposal; the second proposal waits with it.
    expect(calls.map((c) => c.url)).toEqual([
      'http://relay.test:4455/api/v1/shares',
      'http://relay.test:4455/api/v1/proposals',
    ])
    // Each report carries the device's proof of ownership of the share id.
    expect(calls[0]?.body).toEqual({ events: [{ ...share, proof: store.proof(share.id) }] })
    expect(calls[0]?.token).toBe('tok')
    expect(store.pendingCount(owner)).toBe(3)
    // Nothing is due before the first backoff (0.8–1 s) is over: no hot loop.
    await advance(700)
    expect(calls).toHaveLength(2)
    await advance(400)
    expect(calls).toHaveLength(4)
    // The second backoff is longer (1.6–2 s).
    await advance(1_500)
    expect(calls).toHaveLength(4)
    expect(changes).toBe(0)

    // The relay answers again: no need to wait for the backoff.
    answer = { kind: 'delivered' }
    sender.relayReachable()
    await sender.idle()
    expect(calls.slice(4).map((c) => c.url.split('/').at(-1))).toEqual([
      'shares',
      'proposals',
      'proposals',
    ])
    expect(store.pendingCount(owner)).toBe(0)
    expect(changes).toBe(1)
    expect(store.state('prop_two222')).toEqual({ state: 'delivered' })
    await advance(120_000)
    expect(calls).toHaveLength(7)
    await sender.stop()
  })
})

describe('classify', () => {
  it('retries what may pass later and gives up on what never will', () => {
    expect(classify(200, '').kind).toBe('delivered')
    for (const status of [401, 403, 408, 429, 500, 502, 503]) {
      expect(classify(status, 'x').kind).toBe('retry')
    }
    for (const status of [400, 404, 409, 413, 415, 422]) {
      expect(classify(status, 'bad').kind).toBe('refused')
    }
    expect(classify(400, 'events.0.id: nope')).toEqual({
      kind: 'refused',
      error: 'HTTP 400: events.0.id: nope',
    })
  })
})
