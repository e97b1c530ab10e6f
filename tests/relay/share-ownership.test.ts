import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newShareId } from '../../common/share'
import type { Core } from '../../main/core/core'
import { DATABASE_FILE } from '../../main/core/store/database'
import { openRelayCore } from '../core/opened'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { relayHeldBytes } from '../helpers/relay-storage'
import { selectRelayRows } from '../helpers/relay-tables'
import { waitFor } from '../helpers/wait'

let relay: RelayProcess
let acme: string
let globex: string
let eric: string
let mallory: string
let gina: string
const dirs: string[] = []
const cores: Core[] = []

beforeAll(async () => {
  relay = await startRelay()
  acme = await relay.createWorkspace('Acme')
  globex = await relay.createWorkspace('Globex')
  const token = async (workspaceId: string, name: string, memberId: string) =>
    (await relay.issueToken({ workspaceId, name, role: 'employee', memberId })).token
  eric = await token(acme, 'Eric', 'mem_eric')
  mallory = await token(acme, 'Mallory', 'mem_mallory')
  gina = await token(globex, 'Gina', 'mem_gina')
})

afterAll(async () => {
  for (const core of cores) await core.close()
  await relay?.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const proofOf = (seed: string) => createHash('sha256').update(seed).digest('base64url')

function event(id: string, proof: string, itemId = 'item_launch') {
  return {
    id,
    itemId,
    network: 'linkedin',
    objective: 'awareness',
    campaignId: null,
    sharedAt: new Date().toISOString(),
    proof,
  }
}

async function report(token: string, events: unknown[]) {
  const response = await fetch(`${relay.httpUrl}/api/v1/shares`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** The relay's share rows, through its backend (SQLite file or PostgreSQL), by workspace then id. */
async function rows(): Promise<Record<string, unknown>[]> {
  const all = await selectRelayRows(relay, 'SELECT * FROM shares')
  // Sorted here: PostgreSQL's collation need not order ids as SQLite's bytewise one does.
  const key = (row: Record<string, unknown>) => `${String(row.workspace_id)}\u0000${String(row.id)}`
  return all.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

describe('share ids are owned by the device that first reported them', () => {
  it('refuses a colleague claiming my share id (409) and keeps my report', async () => {
    const id = newShareId()
    const mine = proofOf('eric-device')
    expect(await report(eric, [event(id, mine)])).toMatchObject({
      status: 200,
      body: { accepted: 1, duplicates: 0, acceptedIds: [id], duplicateIds: [] },
    })
    const claim = await report(mallory, [event(id, proofOf('mallory-device'), 'item_other')])
    expect(claim.status).toBe(409)
    expect(JSON.stringify(claim.body)).toMatch(/another device/)
    // A batch holding one stolen id stores nothing of the batch.
    const innocent = newShareId()
    const batch = await report(mallory, [
      event(innocent, proofOf('mallory-device')),
      event(id, proofOf('mallory-device')),
    ])
    expect(batch.status).toBe(409)
    expect((await rows()).some((row) => row.id === innocent)).toBe(false)
    // My own re-send (same proof) is a duplicate; the row is still mine, as first reported.
    expect(await report(eric, [event(id, mine)])).toMatchObject({
      status: 200,
      body: { accepted: 0, duplicates: 1, duplicateIds: [id] },
    })
    const stored = (await rows()).filter((row) => row.id === id)
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({ workspace_id: acme, item_id: 'item_launch' })
  })

  it('scopes ids to the workspace: the same id elsewhere neither blocks nor touches mine', async () => {
    const id = newShareId()
    expect((await report(eric, [event(id, proofOf('eric-device'))])).status).toBe(200)
    expect((await report(gina, [event(id, proofOf('gina-device'), 'item_g')])).status).toBe(200)
    const stored = (await rows()).filter((row) => row.id === id)
    expect(stored.map((row) => [row.workspace_id, row.item_id])).toEqual(
      [
        [acme, 'item_launch'],
        [globex, 'item_g'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    )
  })

  it('requires a proof, and stores neither the proof nor the member', async () => {
    const bare = event(newShareId(), '')
    const { proof: _, ...withoutProof } = bare
    const refused = await report(eric, [withoutProof])
    expect(refused.status).toBe(400)
    expect(JSON.stringify(refused.body)).toMatch(/proof/)
    const proof = proofOf('secret-device')
    const id = newShareId()
    expect((await report(eric, [event(id, proof)])).status).toBe(200)
    const row = (await rows()).find((r) => r.id === id)
    expect(row).not.toHaveProperty('member_id')
    expect(Object.values(row ?? {})).not.toContain(proof)
    expect(row?.owner_verifier).toBe(createHash('sha256').update(proof).digest('base64url'))
    // Nowhere in what the relay holds either (SQLite: the whole file, WAL folded in).
    const held = await relayHeldBytes(relay.dataDir, [])
    expect(held.includes(proof)).toBe(false)
  })

  it("a core's reports carry its device's proof; a colleague re-using the id is refused", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pv-owned-'))
    dirs.push(dataDir)
    const { core, client } = await openRelayCore(dataDir)
    cores.push(core)
    const champion = await relay.invite({ workspaceId: acme, name: 'Chloé', role: 'champion' })
    await client.call('workspace.join', { invitation: champion })
    const item = await client.call('item.create', {
      title: 'Launch',
      url: 'https://acme.example/launch',
      objective: 'awareness',
      status: 'published',
      captions: { x: 'Launch' },
    })
    const { shareId } = await client.call('share.perform', {
      itemId: item.id,
      network: 'x',
      text: 'Read this',
    })
    const delivered = () => {
      const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
      try {
        return db.prepare('SELECT delivered_at FROM outbox WHERE id = ?').get(shareId) as
          | { delivered_at: string | null }
          | undefined
      } finally {
        db.close()
      }
    }
    await waitFor('the share delivered', () => delivered()?.delivered_at)
    const row = (await rows()).find((r) => r.id === shareId)
    expect(typeof row?.owner_verifier).toBe('string')
    const theft = await report(mallory, [event(shareId, proofOf('mallory-device'), 'item_x')])
    expect(theft.status).toBe(409)
    expect((await rows()).find((r) => r.id === shareId)?.item_id).toBe(item.id)
  })
})
