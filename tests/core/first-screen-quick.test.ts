import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { methods } from '../../common/contract/api'
import type { Item } from '../../common/model/item'
import { Core } from '../../main/core/core'
import { FirstScreen, storeFirstScreenAnswers } from '../../main/core/first-screen'
import { QUICK_METHODS, QuickFirstScreen } from '../../main/core/first-screen-quick'
import { openTables, type StoreTables } from '../../main/core/store/tables'
import { fileOpener } from '../../main/host/opener'
import { clientOf, fakeInvitation, memoryTransports } from '../helpers/core'
import { prng } from '../helpers/prng'
import { removeTempDir, tempDir } from '../helpers/process'

/**
 * Issue 7.8: the quick first screen (answered before the contract loads: stored answers for
 * status and settings, the queue ranked from the table's columns) gives exactly what the full
 * first screen gives — after random edits of the queue and my shares, as time passes an expiry, a
 * publication date and a campaign's deadline, and after a settings or session change — and a
 * stored answer never outlives a write to what it was read from.
 */

const WORKSPACE = 'ws_quick'
const DAY = 86_400_000
const dirs: string[] = []
let employeeDir: string
let base: number

beforeAll(async () => {
  const open = async (role: 'employee' | 'champion', memberId: string) => {
    const dataDir = tempDir('porte-voix-quick-')
    dirs.push(dataDir)
    const core = await Core.open({
      dataDir,
      joinWaitMs: 200,
      opener: fileOpener(dataDir, () => {}),
    })
    await clientOf(core).call('workspace.join', {
      invitation: fakeInvitation({ role, workspaceId: WORKSPACE, memberId }),
    })
    return { core, dataDir, client: clientOf(core) }
  }
  const champion = await open('champion', 'mem_chloe')
  const employee = await open('employee', 'mem_eve')
  try {
    base = Date.now()
    const campaign = await champion.client.call('campaign.create', {
      name: 'Launch',
      objective: 'campaign',
      goalMetric: 'sign-ups',
      goalTarget: 100,
      deadline: new Date(base + 3 * DAY).toISOString(),
    })
    for (let n = 0; n < 40; n++) {
      await champion.client.call('item.create', {
        title: `Item ${n}`,
        url: `https://acme.example/news/${n}`,
        objective: n % 3 ? 'awareness' : 'campaign',
        priority: (n * 37) % 100,
        status: 'published',
        captions: { linkedin: `Caption ${n}`, x: `Short ${n}` },
        variants: { linkedin: [`Variant ${n}a`, `Variant ${n}b`] },
        ...(n % 3 ? {} : { campaignId: campaign.id }),
      })
    }
    // What the relay would deliver.
    Y.applyUpdate(
      employee.core.joined().sync.docs.queue,
      Y.encodeStateAsUpdate(champion.core.joined().sync.docs.queue),
      'test-relay',
    )
    employeeDir = employee.dataDir
  } finally {
    await champion.core.close()
    await employee.core.close()
  }
})

afterAll(() => {
  for (const dir of dirs) removeTempDir(dir)
})

/** Send one request frame and return the answer's raw frame, parsed (no client-side parse). */
async function ask(
  screen: { attach(transport: ReturnType<typeof memoryTransports>['b']): void },
  method: string,
  params: unknown,
): Promise<unknown> {
  const pair = memoryTransports()
  screen.attach(pair.b)
  const answer = new Promise<unknown>((resolve) =>
    pair.a.onMessage((text) => resolve(JSON.parse(text))),
  )
  pair.a.send(JSON.stringify({ t: 'req', id: 7, method, params }))
  const frame = await answer
  pair.close()
  return frame
}

function screens(store: StoreTables, now: () => Date) {
  const passed: string[] = []
  const quick = new QuickFirstScreen(store.db, {
    log: () => {},
    now,
    answered: () => {},
    needFull: () => passed.push('passed'),
  })
  const full = new FirstScreen(store, { log: () => {}, needCore: () => {}, now })
  return { quick, full, passed }
}

/** Quick and full answer the popover's three requests alike; quick answered all three. */
async function expectSame(store: StoreTables, at: number) {
  const now = () => new Date(at)
  const { quick, full, passed } = screens(store, now)
  for (const [method, params] of [
    ['queue.forMe', { limit: 20 }],
    ['queue.forMe', { limit: 1 }],
    ['status.get', {}],
    ['settings.get', {}],
  ] as const) {
    const fromQuick = await ask(quick, method, params)
    const fromFull = await ask(full, method, params)
    expect(fromFull).toMatchObject({ ok: true })
    expect(fromQuick, `${method} ${JSON.stringify(params)}`).toEqual(fromFull)
  }
  expect(passed).toEqual([])
  // And the same entries as the head of the whole queue, ranked from the parsed items.
  const whole = (await ask(full, 'queue.forMe', {})) as { result: unknown[] }
  const head = (await ask(quick, 'queue.forMe', { limit: 20 })) as { result: unknown[] }
  expect(head.result).toEqual(whole.result.slice(0, 20))
}

describe('the quick first screen', () => {
  it('answers as the full first screen after random edits, as time passes, and after a settings change', async () => {
    const store = openTables(employeeDir)
    try {
      storeFirstScreenAnswers(store)
      await expectSame(store, base)
      const random = prng(7)
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
      const items = store.queue.list()
      const iso = (offsetDays: number) => new Date(base + offsetDays * DAY).toISOString()
      for (let round = 0; round < 12; round++) {
        const edited: Item[] = []
        for (let n = 0; n < 6; n++) {
          const item = { ...pick(items) }
          item.priority = Math.floor(random() * 101)
          item.publishAt = random() < 0.3 ? iso(random() * 2 - 1) : item.publishAt
          item.expiresAt = random() < 0.3 ? iso(random() * 2) : null
          item.status = random() < 0.15 ? 'approved' : 'published'
          item.updatedAt = iso(-random())
          edited.push(item)
        }
        store.queue.apply(edited, random() < 0.2 ? [pick(items).id] : [])
        // My share of one item (it sinks) in the table the first screen reads.
        store.db
          .prepare(
            `INSERT INTO shares (id, workspace_id, item_id, network, objective, campaign_id, shared_at)
             VALUES (?, ?, ?, ?, 'awareness', NULL, ?)`,
          )
          .run(`sh_${round}`, WORKSPACE, pick(items).id, pick(['linkedin', 'x']), iso(0))
        // Now, past expiries and publication dates, and past the campaign's deadline.
        for (const later of [0, 0.6, 1.5, 4]) await expectSame(store, base + later * DAY)
      }
      // A settings change deletes the stored answers: passed on (to the full first screen) until
      // they are stored again, never sent stale.
      store.settings.update({ theme: 'dark' })
      const { quick, passed } = screens(store, () => new Date(base))
      const pair = memoryTransports()
      quick.attach(pair.b)
      pair.a.send(JSON.stringify({ t: 'req', id: 1, method: 'settings.get', params: {} }))
      await new Promise((resolve) => setImmediate(resolve))
      expect(passed).toEqual(['passed'])
      pair.close()
      storeFirstScreenAnswers(store)
      await expectSame(store, base)
    } finally {
      store.close()
    }
  })

  it('sends no stored answer once what it was read from changed, nor one another build wrote', async () => {
    const store = openTables(employeeDir)
    try {
      const stored = () =>
        store.db.prepare('SELECT method FROM first_screen ORDER BY method').pluck().all()
      storeFirstScreenAnswers(store)
      expect(stored()).toEqual(['settings.get', 'status.get'])
      // A campaign projection is no input of theirs (the quick queue.forMe reads the campaigns).
      store.queue.replaceCampaigns([...store.queue.campaigns().values()])
      expect(stored()).toEqual(['settings.get', 'status.get'])
      store.queue.setWorkspaceName('Renamed')
      expect(stored()).toEqual([])
      storeFirstScreenAnswers(store)
      const session = store.session.get()
      if (!session) throw new Error('no session')
      store.session.set({ ...session, joinedAt: new Date().toISOString() })
      expect(stored()).toEqual([])
      storeFirstScreenAnswers(store, 'another build')
      const passed: string[] = []
      const quick = new QuickFirstScreen(store.db, {
        log: () => {},
        now: () => new Date(),
        answered: () => {},
        needFull: () => passed.push('passed'),
      })
      const pair = memoryTransports()
      quick.attach(pair.b)
      pair.a.send(JSON.stringify({ t: 'req', id: 1, method: 'status.get', params: {} }))
      await new Promise((resolve) => setImmediate(resolve))
      expect(passed).toEqual(['passed'])
      pair.close()
    } finally {
      store.close()
    }
  })

  it('answers only params the contract accepts alike, and passes the rest on in order', async () => {
    const store = openTables(employeeDir)
    try {
      storeFirstScreenAnswers(store)
      const candidates: unknown[] = [
        undefined,
        {},
        { limit: 20 },
        { limit: 0 },
        { limit: -1 },
        { limit: 2.5 },
        { limit: 10_000 },
        { limit: 10_001 },
        { limit: '20' },
        { limit: 20, extra: true },
        { objective: 'talent', limit: 5 },
        { topic: 'x' },
        [],
        null,
        'x',
      ]
      for (const method of QUICK_METHODS) {
        for (const params of candidates) {
          const { quick, passed } = screens(store, () => new Date(base))
          const pair = memoryTransports()
          quick.attach(pair.b)
          const frames: unknown[] = []
          pair.a.onMessage((text) => frames.push(JSON.parse(text)))
          pair.a.send(JSON.stringify({ t: 'req', id: 1, method, params }))
          await new Promise((resolve) => setImmediate(resolve))
          pair.close()
          if (passed.length > 0) continue
          // Answered here: the contract accepts these params, with no change.
          const contract = methods[method].params.safeParse(params ?? {})
          expect(contract.success, `${method} ${JSON.stringify(params)}`).toBe(true)
          expect(contract.data).toEqual(params ?? {})
          expect(frames).toHaveLength(1)
        }
      }
      // After a frame it passed on, every frame goes the same way (in order), answerable or not.
      const { quick, passed } = screens(store, () => new Date(base))
      let handed: readonly string[] = []
      const pair = memoryTransports()
      quick.attach(pair.b)
      pair.a.send(JSON.stringify({ t: 'req', id: 1, method: 'stats.mine', params: {} }))
      pair.a.send(JSON.stringify({ t: 'req', id: 2, method: 'status.get', params: {} }))
      await new Promise((resolve) => setImmediate(resolve))
      quick.handOver((_transport, frames) => {
        handed = frames
      })
      expect(passed).toHaveLength(2)
      expect(handed.map((text) => JSON.parse(text).id)).toEqual([1, 2])
      pair.close()
    } finally {
      store.close()
    }
  })
})
