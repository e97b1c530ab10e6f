import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { historyGeneration } from '../../common/doc/curation-doc'
import { insertItem, itemsMap, readItems } from '../../common/doc/queue-doc'
import { roomName } from '../../common/doc/rooms'
import { type Item, type ItemOverrides, newItem } from '../../common/model/item'
import { openStore } from '../../main/core/store/store'
import { type CoreProcess, startCore } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import { databaseBytes, foundIn } from '../helpers/db-bytes'
import { removeTempDir } from '../helpers/process'
import { type RelayProcess, startRelay, startRelayTeam, stopRelay } from '../helpers/relay'
import { readStoredParts, seedStoredDoc } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl, tryConnect } from './support'

function item(id: string, title: string, overrides: ItemOverrides = {}): Item {
  const made = newItem(
    {
      id,
      title,
      url: `https://example.com/${id}`,
      objective: 'awareness',
      authorId: 'mem_author',
      createdAt: new Date().toISOString(),
    },
    overrides,
  )
  if ('issues' in made) throw new Error(made.issues.join('; '))
  return made.item
}

describe('the curation document is the curators’ alone', () => {
  let relay: RelayProcess
  let ws: string
  let championToken: string
  let employeeToken: string

  beforeAll(async () => {
    ;({ relay, ws, championToken, employeeToken } = await startRelayTeam())
  })
  afterAll(async () => {
    await stopRelay(relay)
  })

  it('refuses an employee’s connection to curation (403) and accepts a champion’s', async () => {
    const employee = await tryConnect(roomUrl(relay.url, ws, 'curation', employeeToken))
    expect('refused' in employee && employee.refused.status).toBe(403)
    const champion = await RawClient.connect(roomUrl(relay.url, ws, 'curation', championToken))
    await champion.sync()
    await champion.close()
  })

  it('refuses a champion’s update that puts an unpublished item into the queue', async () => {
    const writer = await RawClient.connect(roomUrl(relay.url, ws, 'queue', championToken))
    await writer.sync()
    insertItem(writer.doc, item('item_pub1', 'Published is fine', { status: 'published' }))
    await writer.sync()
    expect(writer.closeEvent).toBeNull()
    insertItem(writer.doc, item('item_draft1', 'A draft has no place here'))
    const closed = await writer.closed
    expect(closed.code).toBeGreaterThanOrEqual(4400)
    expect(relay.logs()).toMatch(/queue holds published items only/)

    const fresh = await RawClient.connect(roomUrl(relay.url, ws, 'queue', championToken))
    await fresh.sync()
    await fresh.close()
    expect(itemsMap(fresh.doc).has('item_pub1')).toBe(true)
    expect(itemsMap(fresh.doc).has('item_draft1')).toBe(false)
  })
})

describe('migrating a workspace of the old layout (everything in the queue)', () => {
  const SECRETS = {
    draft: 'Old-layout-draft-title',
    note: 'Old-layout-note-to-champions',
    reason: 'Old-layout-rejection-reason',
    archived: 'Old-layout-archived-title',
  }
  let relay: RelayProcess
  let employee: CoreProcess | null = null
  let champion: CoreProcess | null = null
  const dirs: string[] = []

  afterAll(async () => {
    await Promise.all([employee?.stop(), champion?.stop()])
    await relay?.stop()
    for (const dir of dirs) removeTempDir(dir)
  })

  // Under load this failed when the employee's history rewrite (a compaction) met this test's own
  // checkpoint of the file: a deferred read-then-write transaction gets SQLITE_BUSY at once, and
  // the rewrite was not retried. It now takes the write lock first and retries on failure.
  it('moves drafts, proposals and archive to curation; employees’ files are clean after reconnecting', async () => {
    relay = await startRelay()
    dirs.push(relay.dataDir)
    const ws = await relay.createWorkspace('Acme')
    employee = await startCore()
    dirs.push(employee.dataDir)
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId: ws, name: 'Eve', role: 'employee' }),
    })
    await waitFor('employee synced', async () => {
      return (await employee?.client.call('status.get', {}))?.sync === 'synced'
    })
    await employee.stop()
    await relay.stop()

    // The old code path: every item, whatever its status, in the queue document — on the relay
    // and, as it synced it, on the employee's device (log, snapshot and projected table).
    const old = new Y.Doc()
    const now = new Date().toISOString()
    const items = [
      item('item_published', 'Old-layout-published-title', { status: 'published' }),
      item('item_draft', SECRETS.draft, { captions: { linkedin: 'Draft caption' } }),
      item('prop_pending', 'Pending proposal', {
        status: 'submitted',
        sourceKind: 'employee',
        why: SECRETS.note,
      }),
      item('prop_rejected', 'Rejected proposal', {
        status: 'archived',
        sourceKind: 'employee',
        moderation: { decision: 'rejected', by: 'mem_champ', at: now, reason: SECRETS.reason },
      }),
      item('item_archived', SECRETS.archived, { status: 'archived' }),
    ]
    for (const entry of items) insertItem(old, entry)
    const oldUpdate = Y.encodeStateAsUpdate(old)
    const queueRoom = roomName(ws, 'queue')
    await seedStoredDoc(relay.dataDir, queueRoom, [oldUpdate])
    const core = openStore(employee.dataDir)
    try {
      core.docLog.append(queueRoom, oldUpdate)
      core.queue.replaceAll(items)
    } finally {
      core.close()
    }
    expect(foundIn(databaseBytes(employee.dataDir), Object.values(SECRETS))).toHaveLength(4)

    relay = await startRelay({ dataDir: relay.dataDir, port: relay.port })
    employee = await startCore({ dataDir: employee.dataDir })
    const dataDir = employee.dataDir
    // The table this test wrote above already holds the published item: wait for the core's
    // rebuild (just after its start, not before "listening") to leave only that one.
    await waitFor('only the published item in the employee table', () => {
      const ids = readQueueTable(dataDir).map((row) => row.id)
      return ids.length === 1 && ids[0] === 'item_published'
    })
    // Its log and snapshot are rewritten once it sees the relay's new history generation.
    await waitFor('employee file clean', () =>
      foundIn(databaseBytes(dataDir), Object.values(SECRETS)).length === 0 ? true : null,
    )
    expect(relay.logs()).toMatch(/queue migrated/)

    // The relay's stored queue room holds none of it; its curation room holds all of it.
    {
      const stored = await readStoredParts(relay.dataDir, queueRoom)
      const bytes = Buffer.concat(
        [stored.snapshot, ...stored.updates].flatMap((part) => (part ? [Buffer.from(part)] : [])),
      )
      expect(foundIn(bytes, Object.values(SECRETS))).toEqual([])
      const queueDoc = new Y.Doc()
      for (const part of [stored.snapshot, ...stored.updates])
        if (part) Y.applyUpdate(queueDoc, part)
      expect(historyGeneration(queueDoc)).toMatch(/^gen_/)
      expect(readItems(queueDoc).items.map((entry) => entry.id)).toEqual(['item_published'])
      const curation = await readStoredParts(relay.dataDir, roomName(ws, 'curation'))
      const curationDoc = new Y.Doc()
      for (const part of [curation.snapshot, ...curation.updates])
        if (part) Y.applyUpdate(curationDoc, part)
      const moved = readItems(curationDoc).items
      expect(moved.map((entry) => entry.id).sort()).toEqual([
        'item_archived',
        'item_draft',
        'prop_pending',
        'prop_rejected',
      ])
      expect(moved.find((entry) => entry.id === 'prop_pending')?.why).toBe(SECRETS.note)
    }

    // Champions find everything where it now lives, and a migrated proposal can be published.
    champion = await startCore()
    dirs.push(champion.dataDir)
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId: ws, name: 'Chloé', role: 'champion' }),
    })
    const all = await waitFor('champion sees the migrated items', async () => {
      const list = (await champion?.client.call('queue.list', {})) ?? []
      return list.length === items.length ? list : null
    })
    expect(all.find((entry) => entry.id === 'prop_pending')?.status).toBe('submitted')
    await champion.client.call('item.approve', { id: 'prop_pending', publish: true })
    await waitFor('approved proposal at the employee', () =>
      readQueueTable(dataDir).some((row) => row.id === 'prop_pending'),
    )
  })
})
