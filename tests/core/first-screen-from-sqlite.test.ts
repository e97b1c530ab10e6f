import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { Transport } from '../../common/contract/client'
import { CoreClient } from '../../common/contract/client'
import { campaignsMap } from '../../common/doc/queue-doc'
import { Core } from '../../main/core/core'
import { DATABASE_FILE } from '../../main/core/store/database'
import { fileOpener } from '../../main/host/opener'
import { clientOf, fakeInvitation, memoryTransports, startCore } from '../helpers/core'
import { removeTempDir, tempDir } from '../helpers/process'
import { openReplica } from '../helpers/replica'
import { waitFor } from '../helpers/wait'

/**
 * Issue 7.8: the popover's first screen (status, settings, queue.forMe with its campaign boost)
 * is answered from SQLite alone; the stored replicas (the queue's Y.Doc) load only after that
 * answer went out. The campaigns table that makes it possible follows the queue document's
 * campaigns: edits, deletes, and the rebuild at start.
 */

const WORKSPACE = 'ws_first_sqlite'
const REPLICAS_LOADED = 'replicas loaded from SQLite, sync started'
const DEFERRED = 'session resumed, replicas deferred'
const DAY = 86_400_000
const dirs: string[] = []
const cores: Core[] = []

let champion: { core: Core; client: CoreClient }
let employeeDir: string
let campaignId: string
/** Ids in the order of the full ranking (with the campaign's deadline boost). */
let boosted: string
let plain: string

async function open(dataDir: string, options: { defer: boolean; steps?: string[] }) {
  const core = await Core.open({
    dataDir,
    joinWaitMs: 200,
    opener: fileOpener(dataDir, () => {}),
    deferReplicas: options.defer,
    onStartStep: (step) => options.steps?.push(step),
  })
  cores.push(core)
  return core
}

async function closeCore(core: Core): Promise<void> {
  await core.close()
  cores.splice(cores.indexOf(core), 1)
}

/** The champion's queue document as the relay would deliver it to the employee. */
function deliver(employee: Core): void {
  Y.applyUpdate(
    employee.joined().sync.docs.queue,
    Y.encodeStateAsUpdate(champion.core.joined().sync.docs.queue),
    'test-relay',
  )
}

/**
 * A client whose core-side transport records, at the moment the core sends each answer, which
 * start steps had already ended: what the core had loaded when it answered.
 */
function recordingClient(core: Core, steps: string[]) {
  const pair = memoryTransports()
  const sent: { id: number; stepsBefore: string[] }[] = []
  const coreSide: Transport = {
    ...pair.b,
    send: (text) => {
      const message = JSON.parse(text) as { t: string; id?: number }
      if (message.t === 'res' && message.id !== undefined)
        sent.push({ id: message.id, stepsBefore: [...steps] })
      pair.b.send(text)
    },
  }
  core.attach(coreSide)
  return { client: new CoreClient(pair.a), sent }
}

beforeAll(async () => {
  const championDir = tempDir('porte-voix-first-sqlite-')
  dirs.push(championDir)
  const core = await open(championDir, { defer: false })
  champion = { core, client: clientOf(core) }
  await champion.client.call('workspace.join', {
    invitation: fakeInvitation({ role: 'champion', workspaceId: WORKSPACE, memberId: 'mem_cleo' }),
  })
  const campaign = await champion.client.call('campaign.create', {
    name: 'Spring hiring',
    objective: 'talent',
    goalMetric: 'applications',
    goalTarget: 10,
    // Near: the boost is ~37 points, more than the 30 of priority between the two items.
    deadline: new Date(Date.now() + DAY).toISOString(),
  })
  campaignId = campaign.id
  plain = (
    await champion.client.call('item.create', {
      title: 'Higher priority, no campaign',
      url: 'https://acme.example/plain',
      objective: 'awareness',
      priority: 50,
      status: 'published',
    })
  ).id
  boosted = (
    await champion.client.call('item.create', {
      title: 'Lower priority, campaign due tomorrow',
      url: 'https://acme.example/boosted',
      objective: 'talent',
      priority: 20,
      status: 'published',
      campaignId,
    })
  ).id

  employeeDir = tempDir('porte-voix-first-sqlite-')
  dirs.push(employeeDir)
  const employee = await open(employeeDir, { defer: false })
  await clientOf(employee).call('workspace.join', {
    invitation: fakeInvitation({ role: 'employee', workspaceId: WORKSPACE, memberId: 'mem_eli' }),
  })
  deliver(employee)
  await closeCore(employee)
})

afterAll(async () => {
  for (const core of [...cores]) await core.close()
  for (const dir of dirs) removeTempDir(dir)
})

describe('the first screen from SQLite', () => {
  it('answers status, settings and the ranked first screen (campaign boost) before the replicas load', async () => {
    const steps: string[] = []
    const core = await open(employeeDir, { defer: true, steps })
    try {
      // Open, and the replicas not loaded: the session is known from SQLite.
      expect(steps).toContain(DEFERRED)
      expect(steps).not.toContain(REPLICAS_LOADED)
      const { client, sent } = recordingClient(core, steps)
      const [first, status, settings] = await Promise.all([
        client.call('queue.forMe', { limit: 20 }),
        client.call('status.get', {}),
        client.call('settings.get', {}),
      ])
      // Every one of the three answers left before the replicas loaded.
      expect(sent).toHaveLength(3)
      for (const answer of sent) expect(answer.stepsBefore).not.toContain(REPLICAS_LOADED)
      // The ranking uses the campaign from SQLite: the boosted item first, with its campaign.
      expect(first.map((entry) => entry.item.id)).toEqual([boosted, plain])
      expect(first[0]?.campaign?.id).toBe(campaignId)
      expect(first[0]?.campaign?.name).toBe('Spring hiring')
      expect(status.session?.memberId).toBe('mem_eli')
      expect(status.session?.workspaceId).toBe(WORKSPACE)
      expect(status.sync).toBe('connecting')
      expect(settings).toBeTruthy()
      // Then the replicas load (after the first screen went out), and the same answer stands.
      await core.replicas
      expect(steps).toContain(REPLICAS_LOADED)
      const after = await client.call('queue.forMe', {})
      expect(after.map((entry) => entry.item.id)).toEqual([boosted, plain])
    } finally {
      await closeCore(core)
    }
  })

  it('loads the replicas at once for a request that needs them', async () => {
    const steps: string[] = []
    const core = await open(employeeDir, { defer: true, steps })
    try {
      expect(steps).not.toContain(REPLICAS_LOADED)
      // What needs the replicas (share.perform, proposals, the studio) goes through joined():
      // they load for it, at once.
      const joined = core.joined()
      expect(steps).toContain(REPLICAS_LOADED)
      expect(joined.sync.docs.queue.getMap('items').size).toBe(2)
      await core.replicas
    } finally {
      await closeCore(core)
    }
  })

  it("loads the replicas for a window's replica sync", async () => {
    const steps: string[] = []
    const core = await open(employeeDir, { defer: true, steps })
    const replica = openReplica(clientOf(core), 'queue')
    try {
      await waitFor('the window replica of the queue', () => replica.doc.getMap('items').size === 2)
      expect(steps).toContain(REPLICAS_LOADED)
    } finally {
      replica.close()
      await closeCore(core)
    }
  })

  it('a table from before the campaigns were projected loads the replicas first, and ranks right', async () => {
    // What an older core left: items in the table, no campaigns, no mark.
    const db = new Database(path.join(employeeDir, DATABASE_FILE))
    db.exec('DELETE FROM campaigns; DELETE FROM projected_facts')
    db.close()
    const steps: string[] = []
    const core = await open(employeeDir, { defer: true, steps })
    try {
      expect(steps).not.toContain(DEFERRED)
      expect(steps).toContain(REPLICAS_LOADED)
      const first = await clientOf(core).call('queue.forMe', { limit: 20 })
      expect(first.map((entry) => entry.item.id)).toEqual([boosted, plain])
      expect(core.store.queue.campaignsProjected()).toBe(true)
    } finally {
      await closeCore(core)
    }
  })
})

describe('the campaigns table', () => {
  it('follows campaign edits and deletes, and is rebuilt at start', async () => {
    const core = await open(employeeDir, { defer: false })
    try {
      const client = clientOf(core)
      expect([...core.store.queue.campaigns().keys()]).toEqual([campaignId])

      // An edit: the deadline moves out of the boost's window, the ranking follows at once.
      await champion.client.call('campaign.update', {
        id: campaignId,
        patch: { name: 'Autumn hiring', deadline: new Date(Date.now() + 60 * DAY).toISOString() },
      })
      deliver(core)
      expect(core.store.queue.campaigns().get(campaignId)?.name).toBe('Autumn hiring')
      const edited = await client.call('queue.forMe', {})
      expect(edited.map((entry) => entry.item.id)).toEqual([plain, boosted])
      expect(edited[1]?.campaign?.name).toBe('Autumn hiring')

      // A second campaign, then a delete (another client's edit of the document).
      const other = await champion.client.call('campaign.create', {
        name: 'Launch',
        objective: 'awareness',
        goalMetric: 'sign-ups',
        goalTarget: 5,
        deadline: new Date(Date.now() + 3 * DAY).toISOString(),
      })
      deliver(core)
      expect(new Set(core.store.queue.campaigns().keys())).toEqual(new Set([campaignId, other.id]))
      campaignsMap(champion.core.joined().sync.docs.queue).delete(campaignId)
      deliver(core)
      expect([...core.store.queue.campaigns().keys()]).toEqual([other.id])
      const deleted = await client.call('queue.forMe', {})
      expect(deleted.find((entry) => entry.item.id === boosted)?.campaign).toBeNull()
    } finally {
      await closeCore(core)
    }

    // The table drifted from the document (a crash between the log append and the table, a
    // hand edit): the start's rebuild puts it back.
    const db = new Database(path.join(employeeDir, DATABASE_FILE))
    db.prepare('DELETE FROM campaigns').run()
    db.prepare("INSERT INTO campaigns (id, json) VALUES ('cmp_stale', ?)").run(
      JSON.stringify({ id: 'cmp_stale', deadline: new Date().toISOString() }),
    )
    db.close()
    const reopened = await open(employeeDir, { defer: true })
    try {
      await waitFor('the campaigns table rebuilt from the queue document', () => {
        const ids = [...reopened.store.queue.campaigns().keys()]
        return ids.length > 0 && !ids.includes('cmp_stale')
      })
      const ids = [...reopened.store.queue.campaigns().keys()]
      const fromDoc = [...campaignsMap(champion.core.joined().sync.docs.queue).keys()]
      expect(ids.sort()).toEqual(fromDoc.sort())
    } finally {
      await closeCore(reopened)
    }
  })
})

describe('the built core host (what the app runs)', () => {
  it("answers the first screen from SQLite before it imports the core's module and loads the replicas", async () => {
    const host = await startCore({
      dataDir: employeeDir,
      env: { ...process.env, PORTE_VOIX_START_TRACE: '1' },
    })
    try {
      const [first, status] = await Promise.all([
        host.client.call('queue.forMe', { limit: 20 }),
        host.client.call('status.get', {}),
        host.client.call('settings.get', {}),
      ])
      expect(new Set(first.map((entry) => entry.item.id))).toEqual(new Set([boosted, plain]))
      expect(status.session?.memberId).toBe('mem_eli')
      // A request only the core answers: held, then answered once it is open.
      const stats = await host.client.call('stats.mine', {})
      expect(stats).toBeTruthy()
      // And one that needs the replicas.
      await host.client.call('workspace.settings.get', {})
      // The core, replicas loaded, ranks as the first screen did (campaigns as in SQLite).
      const again = await host.client.call('queue.forMe', { limit: 20 })
      expect(again).toEqual(first)
      const order = [...host.logs().matchAll(/start \+\d+ ms \(at \d+\): (.+)/g)].map((m) => m[1])
      const at = (step: string) => {
        const index = order.indexOf(step)
        expect(index, `${step} in ${order.join(' | ')}`).toBeGreaterThanOrEqual(0)
        return index
      }
      expect(at('queue.forMe answered from SQLite')).toBeLessThan(at('core module loaded'))
      expect(at('status.get answered from SQLite')).toBeLessThan(at('core module loaded'))
      expect(at('core module loaded')).toBeLessThan(at(REPLICAS_LOADED))
    } finally {
      await host.stop()
    }
  })
})
