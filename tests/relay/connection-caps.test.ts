import { rmSync } from 'node:fs'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { encodeSync, SYNC_STEP1, SYNC_UPDATE } from '../../sync-server/protocol/messages'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { countLines, RawClient, roomUrl } from './support'

const MAX_BYTES = 64 * 1024

describe('abuse caps per connection', () => {
  let relay: RelayProcess
  let ws: string
  const join = async (name: string, role: 'champion' | 'employee') => {
    const { token, memberId } = await relay.issueToken({ workspaceId: ws, name, role })
    return { url: roomUrl(relay.url, ws, 'queue', token), memberId }
  }

  beforeAll(async () => {
    relay = await startRelay({ args: ['--max-message-bytes', String(MAX_BYTES)] })
    ws = await relay.createWorkspace('Caps')
  })
  afterAll(async () => {
    await relay?.stop()
    if (relay) rmSync(relay.dataDir, { recursive: true, force: true })
  })

  it('logs dropped read-only updates once per connection and interval, not once per frame', async () => {
    const { url, memberId } = await join('Reader', 'employee')
    const reader = await RawClient.connect(url, { sendLocalUpdates: false })
    await reader.sync()
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    for (let i = 0; i < 2000; i++) doc.getText('t').insert(0, 'x')
    for (const update of updates) reader.send(encodeSync(SYNC_UPDATE, update))
    await reader.sync()
    expect(reader.closeEvent).toBeNull()
    const lines = relay
      .logs()
      .split('\n')
      .filter((l) => l.includes(`member=${memberId}`))
    expect(countLines(lines.join('\n'), /dropped/)).toBe(1)
    expect(lines.join('\n')).toMatch(/reason="update from read-only connection"/)
    await reader.close()
  })

  it('answers a burst of sync requests, then only a few: each costs a whole-document encoding', async () => {
    const { url, memberId } = await join('Asker', 'champion')
    const asker = await RawClient.connect(url)
    for (let i = 0; i < 200; i++) asker.send(encodeSync(SYNC_STEP1, Y.encodeStateVector(asker.doc)))
    await waitFor('the refusals are logged', () =>
      relay
        .logs()
        .includes(`member=${memberId} role=champion reason="sync request over the rate limit"`),
    )
    // Everything sent was handled: a later request (once the bucket refills) is still answered.
    await new Promise((resolve) => setTimeout(resolve, 3500))
    const before = asker.step2s.length
    await asker.sync()
    expect(before).toBeLessThanOrEqual(7)
    expect(asker.step2s.length).toBe(before + 1)
    expect(asker.closeEvent).toBeNull()
    await asker.close()
  })

  it('closes a connection that does not read its socket instead of buffering for it', async () => {
    const { url: readerUrl, memberId } = await join('Sleeper', 'employee')
    const sleeper = await RawClient.connect(readerUrl, { sendLocalUpdates: false })
    await sleeper.sync()
    ;(sleeper.ws as unknown as { _socket: Socket })._socket.pause()
    const { url: writerUrl } = await join('Writer', 'champion')
    const writer = await RawClient.connect(writerUrl)
    await writer.sync()
    // Let it answer the relay's step 1 while it has nothing new (its answer would carry it all).
    await writer.sync()
    // 200 updates of ~60 KB: far more than the kernel's socket buffers hold for the sleeper.
    const chunk = 'abcdefghij'.repeat(6000)
    for (let i = 0; i < 200 && !relay.logs().includes('dropped slow connection'); i++) {
      writer.doc.getText(`big${i}`).insert(0, chunk)
      // Not writer.sync(): the relay's step 1 that follows would be answered with all of it.
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await waitFor('the sleeper is dropped', () =>
      relay
        .logs()
        .split('\n')
        .find((l) => l.includes('dropped slow connection') && l.includes(`member=${memberId}`)),
    )
    expect(writer.closeEvent).toBeNull()
    await writer.close()
    sleeper.ws.terminate()
  })
})
