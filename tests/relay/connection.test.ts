import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { RoomRef } from '../../common/doc/rooms'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { encodeSync, SYNC_STEP1, SYNC_UPDATE } from '../../sync-server/protocol/messages'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'
import { startConnectionServer } from './connection-server'
import { RawClient } from './support'

const MAX_MESSAGE_BYTES = 16 * 1024
const REF: RoomRef = { workspaceId: 'ws_conn', doc: 'queue' }

/**
 * The relay reduced to one room (startConnectionServer), behind a gate if `gated`: the room does
 * not finish loading until the test opens it. `received` counts the frames the server side got
 * so far, over all connections.
 */
async function harness(opts: { gated: boolean; compactEvery?: number }) {
  let open = () => {}
  const gate = opts.gated ? new Promise<void>((resolve) => (open = resolve)) : undefined
  let received = 0
  const server = await startConnectionServer({
    ref: REF,
    claims: { sub: 'mem_writer', role: 'champion', name: 'Writer' },
    maxMessageBytes: MAX_MESSAGE_BYTES,
    compactEvery: opts.compactEvery,
    gate,
    onSocket: (ws) => ws.on('message', () => received++),
  })
  return { ...server, open: () => open(), received: () => received }
}

let current: Awaited<ReturnType<typeof harness>> | null = null
afterEach(async () => {
  await current?.close()
  current = null
})

async function start(opts: Parameters<typeof harness>[0]) {
  current = await harness(opts)
  return current
}

describe('frames received while the room loads', () => {
  it('are capped by bytes: a few big frames get 1013 and a log line, long before 1,000', async () => {
    const h = await start({ gated: true })
    const client = await RawClient.connect(h.url, { sendLocalUpdates: false })
    // Five frames of the maximum size: 80 KiB queued, over the 4 × 16 KiB allowed.
    for (let i = 0; i < 5; i++) client.send(new Uint8Array(MAX_MESSAGE_BYTES).fill(i))
    await waitFor(
      'server to get all frames, or close',
      () => h.received() === 5 || client.closeEvent,
    )
    // If they were all queued, opening the gate makes them be handled (and refused as garbage).
    h.open()
    const { code } = await client.closed
    expect(code).toBe(1013)
    const refusal = h.lines.find((line) => line.includes('closed connection for bad input'))
    expect(refusal).toMatch(/code=1013 reason="too much data before the room was ready"/)
    expect(refusal).toMatch(/queuedFrames=5 queuedBytes=81920/)
  })

  it('are also capped in number, so tiny frames cannot pile up either', async () => {
    const h = await start({ gated: true })
    const client = await RawClient.connect(h.url, { sendLocalUpdates: false })
    for (let i = 0; i < 1001; i++)
      client.send(encodeSync(SYNC_STEP1, Y.encodeStateVector(client.doc)))
    const { code } = await client.closed
    expect(code).toBe(1013)
  })

  it('under the cap, are all handled in order once the room is loaded', async () => {
    const h = await start({ gated: true })
    const client = await RawClient.connect(h.url, { sendLocalUpdates: false })
    const local = new Y.Doc()
    const updates: Uint8Array[] = []
    local.on('update', (update: Uint8Array) => updates.push(update))
    local.getText('t').insert(0, 'queued ')
    local.getText('t').insert(7, 'while loading')
    for (const update of updates) client.send(encodeSync(SYNC_UPDATE, update))
    client.send(encodeSync(SYNC_STEP1, Y.encodeStateVector(client.doc)))
    await waitFor('server to get all frames', () => h.received() === updates.length + 1)
    h.open()
    // The step 2 answering our step 1 comes after both updates were applied.
    await waitFor('answer to the queued step 1', () => client.step2s.length > 0)
    expect(client.doc.getText('t').toString()).toBe('queued while loading')
    expect(client.closeEvent).toBeNull()
  })
})

describe('a failing periodic compaction', () => {
  it('does not close the client whose update triggered it; the update is stored and sent', async () => {
    const h = await start({ gated: false, compactEvery: 1 })
    h.store.compact = () => {
      throw new Error('disk I/O error')
    }
    const writer = await RawClient.connect(h.url)
    const reader = await RawClient.connect(h.url)
    await Promise.all([writer.sync(), reader.sync()])
    writer.doc.getText('t').insert(0, 'kept')
    await waitFor('reader to get the edit', () => reader.doc.getText('t').toString() === 'kept')
    writer.doc.getText('t').insert(4, ' and more')
    await writer.sync()
    await waitFor('reader to get the second edit', () =>
      reader.doc.getText('t').toString().endsWith('more'),
    )
    expect(writer.closeEvent).toBeNull()
    expect(h.lines.some((l) => /ERROR compaction failed .*error="disk I\/O error"/.test(l))).toBe(
      true,
    )
    // Stored, not just sent: a fresh load of the room has it.
    expect(h.store.load('ws_conn/queue').updates.length).toBeGreaterThan(0)
  })

  it('is reported and retried compactEvery updates later, not on every update', async () => {
    const db = openDatabase(tempDir('porte-voix-compact-'))
    const store = new SqliteStore(db)
    const lines: string[] = []
    const rooms = new RoomManager(
      store,
      createLogger((l) => lines.push(l)),
      {
        idleUnloadMs: 60_000,
        compactEvery: 2,
      },
    )
    const room = await rooms.acquire(REF)
    const compact = store.compact.bind(store)
    let attempts = 0
    let failing = true
    store.compact = (...args) => {
      attempts++
      if (failing) throw new Error('disk I/O error')
      return compact(...args)
    }
    const writer = { id: 1, member: 'mem_writer', send() {} }
    const client = new Y.Doc()
    client.on('update', (update: Uint8Array) => room.applyClientUpdate(update, writer))
    try {
      for (let i = 0; i < 6; i++) client.getArray('a').push([i])
      await room.idle()
      // Due at 2 updates (fails), then 4 (fails), then 6; not at each of 3, 4, 5, 6.
      expect(attempts).toBe(3)
      expect(lines.filter((l) => l.includes('ERROR compaction failed'))).toHaveLength(3)
      failing = false
      for (let i = 6; i < 8; i++) client.getArray('a').push([i])
      await room.idle()
      expect(attempts).toBe(4)
      expect(store.load('ws_conn/queue').updates).toHaveLength(0)
      // Back to the normal cadence after a success.
      for (let i = 8; i < 10; i++) client.getArray('a').push([i])
      await room.idle()
      expect(attempts).toBe(5)
    } finally {
      rooms.release(room)
      await rooms.closeAll()
      db.close()
    }
  })
})
