import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captionText, insertItem } from '../../common/doc/queue-doc'
import { type CoreProcess, startCore } from '../helpers/core'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { provider, synced } from './support'

/**
 * Issue 8.12 with a real core process: an idle, joined champion core costs the relay a few bytes
 * (heartbeats), not a full sync step 1 every 10 s answered with the whole delete set (24.9 KB for
 * a 300-item document). Bytes are counted on a TCP proxy between the core and the relay.
 */
const IDLE_MS = 25_000
const ITEMS = 300

async function countingProxy(targetPort: number) {
  const sockets = new Set<net.Socket>()
  const counted = { toCore: 0, toRelay: 0 }
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    upstream.on('data', (chunk: Buffer) => {
      counted.toCore += chunk.byteLength
      client.write(chunk)
    })
    client.on('data', (chunk: Buffer) => {
      counted.toRelay += chunk.byteLength
      upstream.write(chunk)
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return {
    port: (server.address() as net.AddressInfo).port,
    counted,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => done())
      }),
  }
}

let relay: RelayProcess
let proxy: Awaited<ReturnType<typeof countingProxy>>
let core: CoreProcess

beforeAll(async () => {
  relay = await startRelay()
  proxy = await countingProxy(relay.port)
  core = await startCore()
}, 60_000)

afterAll(async () => {
  await core?.stop()
  await proxy?.close()
  if (relay) await stopRelay(relay)
})

describe('an idle core is quiet', () => {
  it(`a joined champion core with ${ITEMS} items sends and receives a few bytes while idle`, async () => {
    const workspaceId = await relay.createWorkspace('Quiet')
    // A document with history: items created, then their captions edited (a fragmented delete set).
    const { token } = await relay.issueToken({ workspaceId, name: 'Ed', role: 'champion' })
    const editor = provider(relay.url, workspaceId, 'queue', token)
    await synced(editor)
    editor.doc.transact(() => {
      for (let i = 0; i < ITEMS; i++)
        insertItem(editor.doc, makeItem(`item_idle${i}`, { status: 'published' }))
    })
    for (let round = 0; round < 3; round++) {
      editor.doc.transact(() => {
        for (let i = 0; i < ITEMS; i++) {
          const text = captionText(editor.doc, `item_idle${i}`, 'linkedin')
          text.delete(0, text.length)
          text.insert(0, `round ${round}`)
        }
      })
    }
    editor.destroy()

    const invitation = new URL(await relay.invite({ workspaceId, name: 'Cora', role: 'champion' }))
    invitation.searchParams.set('relay', `ws://127.0.0.1:${proxy.port}`)
    await core.client.call('workspace.join', { invitation: invitation.toString() })
    await waitFor(
      'the core has every item',
      async () => (await core.client.call('queue.list', {})).length === ITEMS,
      { timeoutMs: 30_000 },
    )
    await waitFor(
      'synced',
      async () => (await core.client.call('status.get', {})).sync === 'synced',
    )
    const fullSync = proxy.counted.toCore
    const start = { ...proxy.counted }
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
    const toCore = proxy.counted.toCore - start.toCore
    const toRelay = proxy.counted.toRelay - start.toRelay
    console.info(
      `idle core over ${IDLE_MS / 1000} s: ${toCore} B relay→core, ${toRelay} B core→relay (first sync: ${fullSync} B)`,
    )
    expect((await core.client.call('status.get', {})).sync).toBe('synced')
    // The old 10 s resync would have brought the delete set back at least twice.
    expect(toCore).toBeLessThan(2_000)
    expect(toRelay).toBeLessThan(2_000)
  }, 120_000)
})
