import { createHash } from 'node:crypto'
import { copyFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { insertItem } from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { DB_FILE } from '../../sync-server/persistence/database'
import { databaseBytes, foundIn } from '../helpers/db-bytes'
import { makeItem } from '../helpers/items'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { provider, RawClient, roomUrl, synced } from './support'

/**
 * Issue 8.13: deleting a member (the admin's `delete-member` or the member's own
 * `DELETE /api/v1/members/me`) removes everything the relay's file holds that names them —
 * leaderboard opt-in and share links included — and keeps the anonymous share counts.
 */
let relay: RelayProcess
let acme: string
let champion: WebsocketProvider
let directory: RawClient

const proofOf = (device: string, shareId: string) =>
  createHash('sha256').update(`${device}:${shareId}`).digest('base64url')

function query<T>(sql: string, ...args: unknown[]): T[] {
  const db = new Database(path.join(relay.dataDir, DB_FILE), { readonly: true })
  try {
    return db.prepare(sql).all(...args) as T[]
  } finally {
    db.close()
  }
}

async function post(route: string, token: string, body: unknown): Promise<number> {
  const response = await fetch(`${relay.httpUrl}/api/v1/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  await response.arrayBuffer()
  return response.status
}

/** Tables other than the rooms' Yjs data whose rows mention `text` anywhere. */
function tablesNaming(text: string): string[] {
  const tables = query<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('updates', 'snapshots')",
  ).map((t) => t.name)
  return tables.filter((table) =>
    query(`SELECT * FROM "${table}"`).some((row) => JSON.stringify(row).includes(text)),
  )
}

/**
 * The relay file's bytes with the directory room's Yjs data taken out (secure_delete zeroes it):
 * Yjs keeps the map key of a deleted directory entry, the one place the id may still appear.
 */
function bytesOutsideDirectory(): Buffer {
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

function storedDirectory(): Y.Doc {
  const doc = new Y.Doc()
  for (const row of query<{ data: Buffer }>(
    'SELECT data FROM snapshots WHERE room = ?',
    `${acme}/directory`,
  ))
    Y.applyUpdate(doc, row.data)
  for (const row of query<{ data: Buffer }>(
    'SELECT data FROM updates WHERE room = ? ORDER BY seq',
    `${acme}/directory`,
  ))
    Y.applyUpdate(doc, row.data)
  return doc
}

beforeAll(async () => {
  relay = await startRelay()
  acme = await relay.createWorkspace('Acme')
  const chloe = await relay.issueToken({ workspaceId: acme, name: 'Chloe', role: 'champion' })
  champion = provider(relay.url, acme, 'queue', chloe.token)
  await synced(champion)
  insertItem(champion.doc, makeItem('item_launch', { status: 'published' }))
  directory = await RawClient.connect(roomUrl(relay.url, acme, 'directory', chloe.token))
  await directory.sync()
})

afterAll(async () => {
  champion?.destroy()
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
  // The setup holds what the deletion must remove.
  expect(tablesNaming(member.memberId).sort()).toEqual(
    ['leaderboard', 'member_devices', 'members', 'share_members'].sort(),
  )
  expect(query('SELECT * FROM share_members WHERE member_id = ?', member.memberId)).toHaveLength(2)
  return { ...member, live }
}

async function expectForgotten(member: { memberId: string; live: RawClient }, name: string) {
  expect((await member.live.closed).code).toBe(4403)
  await waitFor(
    `${name} gone from the directory`,
    () => !directory.doc.getMap('members').has(member.memberId),
  )
  expect(tablesNaming(member.memberId)).toEqual([])
  // The prune is folded into a fresh snapshot: the name no longer sits in a stored update.
  await waitFor(
    `${name}'s name gone from the relay's file`,
    () => foundIn(databaseBytes(relay.dataDir, DB_FILE), [name]).length === 0,
  )
  expect(foundIn(bytesOutsideDirectory(), [member.memberId])).toEqual([])
  expect(storedDirectory().getMap('members').has(member.memberId)).toBe(false)
}

describe('a deleted member leaves nothing in the relay file that names them (issue 8.13)', () => {
  it('relay:admin delete-member: opt-in, share links, devices and directory entry go; share counts stay', async () => {
    const name = 'Erin Quastellane'
    const erin = await activeMember(name, 'erin-laptop')
    const result = await relay.admin(['delete-member', '--member', erin.memberId])
    expect(result.code, result.stderr).toBe(0)
    await expectForgotten(erin, name)
    // Anonymous aggregates stay: both shares still count.
    expect(
      query('SELECT id FROM shares WHERE workspace_id = ?', acme).length,
    ).toBeGreaterThanOrEqual(2)
  })

  it('DELETE /api/v1/members/me deletes the same', async () => {
    const name = 'Fay Montrachet'
    const fay = await activeMember(name, 'fay-phone')
    const sharesBefore = query('SELECT id FROM shares WHERE workspace_id = ?', acme).length
    const response = await fetch(`${relay.httpUrl}/api/v1/members/me`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${fay.token}` },
    })
    expect(response.status).toBe(200)
    await expectForgotten(fay, name)
    expect(query('SELECT id FROM shares WHERE workspace_id = ?', acme)).toHaveLength(sharesBefore)
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
    await waitFor(
      `${name}'s name gone from the relay's file`,
      () => foundIn(databaseBytes(relay.dataDir, DB_FILE), [name]).length === 0,
    )
    expect(tablesNaming(gil.memberId)).toEqual([])
    expect(foundIn(bytesOutsideDirectory(), [gil.memberId])).toEqual([])
    expect(storedDirectory().getMap('members').has(gil.memberId)).toBe(false)
    expect(relay.logs()).toContain('directory pruned')
  })
})
