import { createHash } from 'node:crypto'
import { copyFileSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { insertItem } from '../../common/doc/queue-doc'
import { DOC_NAMES, roomName } from '../../common/doc/rooms'
import { DELETED_MEMBER } from '../../common/model/member'
import { newShareId } from '../../common/share'
import { DB_FILE } from '../../sync-server/persistence/database'
import { JOURNAL_FILE } from '../../sync-server/storage/sqlite/journal'
import { type CoreProcess, startCore } from '../helpers/core'
import { databaseBytes, foundIn } from '../helpers/db-bytes'
import { makeItem } from '../helpers/items'
import { tempDir } from '../helpers/process'
import { onClusterBackend, type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { readStoredDoc, relationalRows, relayHeldBytes } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { provider, RawClient, roomUrl, synced } from './support'

/**
 * Issue 8.13: deleting a member (the admin's `delete-member` or the member's own
 * `DELETE /api/v1/members/me`) removes everything the relay's file holds that names them —
 * leaderboard opt-in, share links, their id in items they authored or approved (rewritten to
 * DELETED_MEMBER, content kept) and their directory entry's key — and keeps the anonymous share
 * counts. A champion's core that was connected (or offline during the deletion) keeps working
 * and its own file no longer names them either.
 */
let relay: RelayProcess
let acme: string
let champion: WebsocketProvider
let curation: WebsocketProvider
let directory: RawClient
/** A champion's core process, connected throughout: it must follow the erasure. */
let core: CoreProcess

const proofOf = (device: string, shareId: string) =>
  createHash('sha256').update(`${device}:${shareId}`).digest('base64url')

async function post(route: string, token: string, body: unknown): Promise<number> {
  const response = await fetch(`${relay.httpUrl}/api/v1/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  await response.arrayBuffer()
  return response.status
}

/** Relational tables (SQLite or PostgreSQL, helpers/relay-storage) whose rows mention `text`. */
async function tablesNaming(text: string): Promise<string[]> {
  const tables = await relationalRows(relay.dataDir)
  return [...tables]
    .filter(([, rows]) => rows.some((row) => JSON.stringify(row).includes(text)))
    .map(([name]) => name)
}

/** Rows of one relational table that match `where` (column → value). */
async function rowsOf(table: string, where: Record<string, string>): Promise<unknown[]> {
  const rows = (await relationalRows(relay.dataDir)).get(table) ?? []
  return rows.filter((row) =>
    Object.entries(where).every(
      ([column, value]) => (row as Record<string, unknown>)[column] === value,
    ),
  )
}

/** What the relay holds (helpers/relay-storage relayHeldBytes): its file, or its rows and documents. */
function relayBytes(): Promise<Buffer> {
  return relayHeldBytes(
    relay.dataDir,
    DOC_NAMES.map((doc) => roomName(acme, doc)),
  )
}

/**
 * The relay's bytes with the directory room's Yjs data taken out (secure_delete zeroes it in a
 * copy of the SQLite file): Yjs keeps the map key of a deleted directory entry, the one place the
 * id may still appear.
 */
async function bytesOutsideDirectory(): Promise<Buffer> {
  if (onClusterBackend()) {
    return relayHeldBytes(
      relay.dataDir,
      DOC_NAMES.filter((doc) => doc !== 'directory').map((doc) => roomName(acme, doc)),
    )
  }
  databaseBytes(relay.dataDir, DB_FILE) // folds the WAL into the main file
  const copyDir = tempDir('porte-voix-erasure-')
  copyFileSync(path.join(relay.dataDir, DB_FILE), path.join(copyDir, DB_FILE))
  const db = new Database(path.join(copyDir, DB_FILE))
  try {
    db.pragma('secure_delete = ON')
    db.prepare('DELETE FROM updates WHERE room = ?').run(`${acme}/directory`)
    db.prepare('DELETE FROM snapshots WHERE room = ?').run(`${acme}/directory`)
  } finally {
    db.close()
  }
  expect(readdirSync(copyDir).filter((f) => f.startsWith(DB_FILE))).toEqual([DB_FILE])
  return databaseBytes(copyDir, DB_FILE)
}

/** The directory as stored (snapshot + log) on the relay's backend. */
async function storedDirectory(): Promise<Y.Doc> {
  return (await readStoredDoc(relay.dataDir, roomName(acme, 'directory'))).doc
}

beforeAll(async () => {
  relay = await startRelay()
  acme = await relay.createWorkspace('Acme')
  const chloe = await relay.issueToken({ workspaceId: acme, name: 'Chloe', role: 'champion' })
  champion = provider(relay.url, acme, 'queue', chloe.token)
  await synced(champion)
  insertItem(champion.doc, makeItem('item_launch', { status: 'published' }))
  curation = new WebsocketProvider(relay.url, `${acme}/curation`, new Y.Doc(), {
    params: { token: chloe.token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  await synced(curation)
  directory = await RawClient.connect(roomUrl(relay.url, acme, 'directory', chloe.token))
  await directory.sync()
  core = await startCore()
  await core.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId: acme, name: 'Dora', role: 'champion' }),
  })
})

afterAll(async () => {
  await core?.stop()
  champion?.destroy()
  curation?.destroy()
  await directory?.close()
  if (relay) await stopRelay(relay)
})

/** A member who connects, opts in to the leaderboard and shares twice; then is deleted. */
async function activeMember(name: string, device: string) {
  const member = await relay.issueToken({ workspaceId: acme, name, role: 'employee' })
  const live = await RawClient.connect(roomUrl(relay.url, acme, 'queue', member.token))
  await live.sync()
  await waitFor(`${name} in the directory`, () =>
    directory.doc.getMap('members').has(member.memberId),
  )
  const before = newShareId()
  const share = (id: string) => ({
    id,
    itemId: 'item_launch',
    network: 'linkedin',
    objective: 'awareness',
    campaignId: null,
    sharedAt: new Date().toISOString(),
    proof: proofOf(device, id),
  })
  expect(await post('shares', member.token, { events: [share(before)] })).toBe(200)
  expect(
    await post('leaderboard', member.token, {
      optIn: true,
      shares: [{ id: before, proof: proofOf(device, before) }],
    }),
  ).toBe(200)
  expect(await post('shares', member.token, { events: [share(newShareId())] })).toBe(200)
  // Items the member proposed (author) and approved, in the published queue and in curation.
  const moderation = {
    decision: 'approved' as const,
    by: member.memberId,
    at: '2026-01-02T00:00:00.000Z',
    reason: null,
  }
  const published = `item_pub_${device.replace(/\W/g, '_')}`
  const proposal = `item_prop_${device.replace(/\W/g, '_')}`
  insertItem(
    champion.doc,
    makeItem(published, {
      status: 'published',
      authorId: member.memberId,
      approverId: member.memberId,
      moderation,
      title: `Kept ${device}`,
    }),
  )
  insertItem(
    curation.doc,
    makeItem(proposal, {
      status: 'submitted',
      authorId: member.memberId,
      title: `Proposed on ${device}`,
    }),
  )
  await waitFor(
    `${name}'s items stored`,
    async () => foundIn(await relayBytes(), [published, proposal]).length === 2,
  )
  await waitFor(`${name}'s items on the champion's core`, async () => {
    const items = await core.client.call('queue.list', {})
    return items.some((i) => i.id === published)
  })
  // The setup holds what the deletion must remove.
  expect((await tablesNaming(member.memberId)).sort()).toEqual(
    ['leaderboard', 'member_devices', 'members', 'share_members'].sort(),
  )
  expect(await rowsOf('share_members', { member_id: member.memberId })).toHaveLength(2)
  return { ...member, live, published, proposal }
}

type Erased = { memberId: string; live: RawClient; published: string; proposal: string }

/** The items stay, with DELETED_MEMBER where they named the member. */
function expectAnonymised(member: Erased) {
  const item = champion.doc.getMap<Y.Map<unknown>>('items').get(member.published)
  expect(item?.get('title')).toMatch(/^Kept /)
  expect(item?.get('authorId')).toBe(DELETED_MEMBER)
  expect(item?.get('approverId')).toBe(DELETED_MEMBER)
  expect((item?.get('moderation') as { by?: string } | undefined)?.by).toBe(DELETED_MEMBER)
  const proposal = curation.doc.getMap<Y.Map<unknown>>('items').get(member.proposal)
  expect(proposal?.get('authorId')).toBe(DELETED_MEMBER)
}

/** The champion's core that was connected: still syncing, and its file names the member nowhere. */
async function expectCoreForgot(member: Erased, name: string) {
  await waitFor(`the core shows ${name}'s item by a former member`, async () => {
    const items = await core.client.call('queue.list', {})
    return items.find((i) => i.id === member.published)?.authorId === DELETED_MEMBER
  })
  // The directory is another document: it may reach the core after the queue does.
  await waitFor(`the core's directory without ${name}`, async () => {
    const members = await core.client.call('members.list', {})
    return !members.some((m) => m.id === member.memberId)
  })
  const members = await core.client.call('members.list', {})
  expect(members.map((m) => m.id)).not.toContain(member.memberId)
  expect(members.map((m) => m.displayName)).toContain('Dora')
  // The core's file too: its queue, curation, directory and board logs are folded.
  await waitFor(
    `${name}'s id and name gone from the core's file`,
    () => foundIn(databaseBytes(core.dataDir), [member.memberId, name]).length === 0,
  )
  // Still works: a new item reaches the relay.
  const made = await core.client.call('item.create', {
    title: `After ${name}`,
    url: 'https://acme.example/after',
    objective: 'awareness',
    status: 'published',
  })
  await waitFor('the core still syncs', () => champion.doc.getMap('items').has(made.id))
}

/**
 * The relay's SQLite files exactly as they are on disk (the main file, its WAL and shared memory),
 * nothing folded: SQLite never rewrites the WAL's older frames in place, so a page image written
 * after the erasure's truncation (e.g. the board's fold appending to a page that still held the
 * old leaderboard rows) keeps the name there until the next truncation. With
 * PORTE_VOIX_RELAY_UPDATE_JOURNAL=on, the update journal (relay.updates.journal) too.
 */
function relayFilesOnDisk(): Buffer {
  return Buffer.concat(
    readdirSync(relay.dataDir)
      .filter((file) => file.startsWith(DB_FILE) || file === JOURNAL_FILE)
      .map((file) => readFileSync(path.join(relay.dataDir, file))),
  )
}

async function expectForgotten(member: Erased, name: string) {
  expect((await member.live.closed).code).toBe(4403)
  if (!onClusterBackend()) {
    // Before anything here folds the WAL (databaseBytes does): only the relay's own truncation
    // after the erasure's last write may make the files forget the name.
    await waitFor(`${name} gone from the relay's files on disk, WAL included`, () => {
      return foundIn(relayFilesOnDisk(), [name, member.memberId]).length === 0
    })
  }
  await waitFor(
    `${name} gone from the directory`,
    () => !directory.doc.getMap('members').has(member.memberId),
  )
  expect(await tablesNaming(member.memberId)).toEqual([])
  // Nothing at all: items rewritten, directory key erased, every room's history folded.
  await waitFor(
    `${name}'s id and name gone from the relay's file`,
    async () => foundIn(await relayBytes(), [name, member.memberId]).length === 0,
  )
  expect(foundIn(await bytesOutsideDirectory(), [member.memberId])).toEqual([])
  expect((await storedDirectory()).getMap('members').has(member.memberId)).toBe(false)
  await waitFor(`${name}'s items anonymised`, () => {
    const item = champion.doc.getMap<Y.Map<unknown>>('items').get(member.published)
    return item?.get('authorId') === DELETED_MEMBER
  })
  expectAnonymised(member)
  await expectCoreForgot(member, name)
}

describe('a deleted member leaves nothing in the relay file that names them (issue 8.13)', () => {
  it('relay:admin delete-member: opt-in, share links, devices and directory entry go; share counts stay', async () => {
    const name = 'Erin Quastellane'
    const erin = await activeMember(name, 'erin-laptop')
    const result = await relay.admin(['delete-member', '--member', erin.memberId])
    expect(result.code, result.stderr).toBe(0)
    await expectForgotten(erin, name)
    // Anonymous aggregates stay: both shares still count.
    expect((await rowsOf('shares', { workspace_id: acme })).length).toBeGreaterThanOrEqual(2)
  })

  it('DELETE /api/v1/members/me deletes the same', async () => {
    const name = 'Fay Montrachet'
    const fay = await activeMember(name, 'fay-phone')
    const sharesBefore = (await rowsOf('shares', { workspace_id: acme })).length
    const response = await fetch(`${relay.httpUrl}/api/v1/members/me`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${fay.token}` },
    })
    expect(response.status).toBe(200)
    await expectForgotten(fay, name)
    expect(await rowsOf('shares', { workspace_id: acme })).toHaveLength(sharesBefore)
  })

  it('a member deleted while the relay is stopped leaves the directory when it starts', async () => {
    const name = 'Gil Ardouvin'
    const gil = await activeMember(name, 'gil-tablet')
    await gil.live.close()
    await directory.close()
    const { dataDir, port } = relay
    await relay.stop()
    const result = await relay.admin(['delete-member', '--member', gil.memberId])
    expect(result.code, result.stderr).toBe(0)
    relay = await startRelay({ dataDir, port })
    if (!onClusterBackend()) {
      // The start-up upkeep's erasure, as the live one: nothing folded by the test first.
      await waitFor(`${name} gone from the relay's files on disk, WAL included`, () => {
        return foundIn(relayFilesOnDisk(), [name]).length === 0
      })
    }
    await waitFor(
      `${name}'s name gone from the relay's file`,
      async () => foundIn(await relayBytes(), [name]).length === 0,
    )
    expect(await tablesNaming(gil.memberId)).toEqual([])
    expect(foundIn(await bytesOutsideDirectory(), [gil.memberId])).toEqual([])
    await waitFor(
      `${name}'s id gone from the relay's file`,
      async () => foundIn(await relayBytes(), [gil.memberId]).length === 0,
    )
    expect((await storedDirectory()).getMap('members').has(gil.memberId)).toBe(false)
    await waitFor('the prune logged', () => relay.logs().includes('directory pruned'))
    // The champion's core, offline while the member was deleted, follows once it reconnects.
    await expectCoreForgot(gil, name)
  })
})
