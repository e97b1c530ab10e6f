/**
 * Issue 8.10 with a relay: while this core's disk is full, what others write is not taken in
 * (it could not be stored), and it is fetched from the relay once space returns — also after a
 * restart with the disk still full in between. Nothing is held only in memory.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ContractError } from '../../common/contract/messages'
import { itemsMap } from '../../common/doc/queue-doc'
import { Core } from '../../main/core/core'
import { clientOf } from '../helpers/core'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

const dirs: string[] = []
const cores = new Set<Core>()
const relays: RelayProcess[] = []

afterAll(async () => {
  for (const core of cores) await core.close()
  for (const relay of relays) {
    await relay.stop()
    rmSync(relay.dataDir, { recursive: true, force: true })
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function open(dataDir: string) {
  const core = await Core.open({ dataDir, maxBackoffMs: 200, joinWaitMs: 5_000 })
  cores.add(core)
  return { core, client: clientOf(core) }
}

function newDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'porte-voix-faults-relay-'))
  dirs.push(dir)
  return dir
}

const create = (client: ReturnType<typeof clientOf>, title: string, caption = '') =>
  client.call('item.create', {
    title,
    url: `https://acme.example/${encodeURIComponent(title)}`,
    objective: 'awareness',
    status: 'published',
    captions: { linkedin: caption },
  })

describe('a core whose disk fills up while others write', () => {
  it('takes nothing in while it cannot store it, and fetches it from the relay afterwards', async () => {
    const relay = await startRelay()
    relays.push(relay)
    const workspaceId = await relay.createWorkspace('Acme')
    const dataDir = newDir()
    const full = await open(dataDir)
    await full.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Fay', role: 'champion' }),
    })
    const other = await open(newDir())
    await other.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Oto', role: 'champion' }),
    })
    const synced = (client: ReturnType<typeof clientOf>) =>
      waitFor('synced', async () => (await client.call('status.get', {})).sync === 'synced')
    await Promise.all([synced(full.client), synced(other.client)])

    // The disk fills up: a change of its own is refused and the links pause.
    const db = full.core.store.db
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
    let refused: unknown = null
    for (let i = 0; i < 40 && !refused; i++) {
      await create(full.client, `mine ${i}`, 'x'.repeat(8_000)).catch((error: unknown) => {
        refused = error
      })
    }
    expect((refused as ContractError | null)?.problem?.code).toBe('storageFull')
    const status = await waitFor('offline, saying why', async () => {
      const next = await full.client.call('status.get', {})
      return next.sync === 'offline' ? next : null
    })
    expect(status.problem?.code).toBe('storageFull')

    // A colleague publishes meanwhile: the relay has it, this core does not take it in.
    const theirs = await create(other.client, 'Theirs, while the disk is full')
    await waitFor('relay stored it', async () => {
      const next = await other.client.call('status.get', {})
      return next.sync === 'synced' && !next.lastError
    })
    const queue = full.core.joined().sync.docs.queue
    expect(itemsMap(queue).has(theirs.id)).toBe(false)

    // Quit with the disk still full, start again once space is back: the item comes from the
    // relay, because this device never claimed to have it.
    cores.delete(full.core)
    await full.core.close()
    const again = await open(dataDir)
    await waitFor('their item fetched', async () =>
      (await again.client.call('queue.list', {})).some((item) => item.id === theirs.id),
    )
    expect((await again.client.call('status.get', {})).problem?.code).not.toBe('storageFull')

    // And without a restart: full again, a colleague's item waits on the relay, space returns.
    const db2 = again.core.store.db
    db2.pragma(`max_page_count = ${db2.pragma('page_count', { simple: true }) as number}`)
    refused = null
    for (let i = 0; i < 40 && !refused; i++) {
      await create(again.client, `again ${i}`, 'x'.repeat(8_000)).catch((error: unknown) => {
        refused = error
      })
    }
    expect((refused as ContractError | null)?.problem?.code).toBe('storageFull')
    await waitFor(
      'offline',
      async () => (await again.client.call('status.get', {})).sync === 'offline',
    )
    const later = await create(other.client, 'Theirs, second time')
    db2.pragma('max_page_count = 1073741823')
    await waitFor('their second item fetched and stored', async () =>
      (await again.client.call('queue.list', {})).some((item) => item.id === later.id),
    )
    await waitFor(
      'synced again',
      async () => (await again.client.call('status.get', {})).sync === 'synced',
    )
    expect(again.core.store.docLog.fault).toBeNull()
  })
})
