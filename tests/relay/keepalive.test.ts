import { rmSync } from 'node:fs'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { insertItem } from '../../common/doc/queue-doc'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { provider, synced } from './support'

const socketOf = (p: ReturnType<typeof provider>) =>
  (p.ws as unknown as { _socket: Socket } | null)?._socket

describe('quiet keepalive', () => {
  let relay: RelayProcess
  beforeAll(async () => {
    relay = await startRelay()
  })
  afterAll(async () => {
    await relay?.stop()
    if (relay) rmSync(relay.dataDir, { recursive: true, force: true })
  })

  // y-websocket closes a connection that received nothing for 30 s (messageReconnectTimeout),
  // and the core no longer sends a sync step 1 every 10 s to provoke traffic.
  it('an idle y-websocket client stays connected past its 30 s watchdog on a few bytes of heartbeat', async () => {
    const ws = await relay.createWorkspace('Quiet')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'Ed', role: 'champion' })
    const editor = provider(relay.url, ws, 'queue', token)
    await synced(editor)
    // 300 items, many edits: what a full resync would send back every time.
    editor.doc.transact(() => {
      for (let i = 0; i < 300; i++)
        insertItem(editor.doc, makeItem(`itm_${i}`, { status: 'published' }))
    })
    editor.destroy()

    const idle = provider(
      relay.url,
      ws,
      'queue',
      (await relay.issueToken({ workspaceId: ws, name: 'Em', role: 'employee' })).token,
    )
    const closes: unknown[] = []
    idle.on('connection-close', (event) => closes.push(event))
    await synced(idle)
    const socket = socketOf(idle)
    if (!socket) throw new Error('no socket')
    const [read0, written0] = [socket.bytesRead, socket.bytesWritten]
    await new Promise((resolve) => setTimeout(resolve, 36_000))
    expect(closes).toEqual([])
    expect(idle.wsconnected).toBe(true)
    expect(socketOf(idle)).toBe(socket)
    const read = socket.bytesRead - read0
    const written = socket.bytesWritten - written0
    // Three or four heartbeats of 5 bytes on the wire (plus the relay's own ws pings).
    expect(read).toBeGreaterThan(0)
    expect(read).toBeLessThan(200)
    expect(written).toBeLessThan(200)
    expect(Y.encodeStateAsUpdate(idle.doc).byteLength).toBeGreaterThan(20_000)
    idle.destroy()
  }, 60_000)
})
