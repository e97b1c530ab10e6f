/**
 * Idle keepalive traffic per connection: `npx tsx tests/bench/keepalive.ts`
 *
 * A relay process, a 300-item queue document with a year-like edit history (every item edited
 * a few times, so the delete set is fragmented), and idle y-websocket clients as cores run them:
 * - "before": the core's old keepalive, a full sync step 1 every 10 s (the relay answers each
 *   with a sync step 2 carrying the whole delete set);
 * - "after": no periodic resync; the relay sends idle connections a few-byte heartbeat.
 * Both groups connect to the same relay at the same time; bytes are counted on each client's
 * TCP socket (both directions, WebSocket framing included) over DURATION_S seconds and reported
 * per connection per minute.
 */
import { rmSync } from 'node:fs'
import type { Socket } from 'node:net'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import { messageSync, type WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { captionText, insertItem, itemsMap } from '../../common/doc/queue-doc'
import { makeItem } from '../helpers/items'
import { startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { provider, synced } from '../relay/support'

const ITEMS = Number(process.env.ITEMS ?? 300)
const CLIENTS = Number(process.env.CLIENTS ?? 10)
const DURATION_S = Number(process.env.DURATION_S ?? 60)
const OLD_RESYNC_MS = 10_000

const socketOf = (p: WebsocketProvider) =>
  (p.ws as unknown as { _socket: Socket } | null)?._socket ?? null

/** What workspace-sync.ts's ping() did every 10 s until this change. */
function oldPing(p: WebsocketProvider): void {
  const ws = p.ws
  if (!p.wsconnected || !ws || ws.readyState !== 1) return
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageSync)
  syncProtocol.writeSyncStep1(encoder, p.doc)
  ws.send(encoding.toUint8Array(encoder))
}

async function main(): Promise<void> {
  const relay = await startRelay()
  try {
    const ws = await relay.createWorkspace('Keepalive bench')
    const token = async (name: string, role: 'champion' | 'employee') =>
      (await relay.issueToken({ workspaceId: ws, name, role })).token

    const editor = provider(relay.url, ws, 'queue', await token('Editor', 'champion'))
    await synced(editor)
    const doc = editor.doc
    for (let i = 0; i < ITEMS; i++) {
      const id = `itm_${String(i).padStart(4, '0')}`
      insertItem(doc, makeItem(id, { status: 'published' }))
      // A few rounds of edits per item: field overwrites and caption typing with corrections.
      for (let round = 0; round < 4; round++) {
        doc.transact(() => {
          const map = itemsMap(doc).get(id) as Y.Map<unknown>
          map.set('title', `Title ${id}, take ${round}`)
          map.set('updatedAt', `2026-0${1 + round}-01T00:00:00.000Z`)
          const caption = captionText(doc, id, 'linkedin')
          caption.insert(caption.length, `Round ${round} of the caption. `)
          if (caption.length > 12) caption.delete(3, 4)
        })
      }
    }
    await waitFor('relay has the history', async () => {
      const probe = provider(relay.url, ws, 'queue', await token('Probe', 'employee'))
      await synced(probe)
      const ok = itemsMap(probe.doc).size === ITEMS
      probe.destroy()
      return ok
    })
    editor.destroy()
    const fullState = Y.encodeStateAsUpdate(doc).byteLength
    const deleteSet = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc)).byteLength

    const group = async (name: string) => {
      const clients: WebsocketProvider[] = []
      for (let i = 0; i < CLIENTS; i++) {
        const p = provider(relay.url, ws, 'queue', await token(`${name} ${i}`, 'employee'))
        await synced(p)
        clients.push(p)
      }
      return clients
    }
    const before = await group('Before')
    const after = await group('After')
    const timers = before.map((p) => setInterval(() => oldPing(p), OLD_RESYNC_MS))
    const start = (clients: WebsocketProvider[]) =>
      clients.map((p) => {
        const s = socketOf(p)
        return s ? s.bytesRead + s.bytesWritten : 0
      })
    const startBefore = start(before)
    const startAfter = start(after)
    const disconnects = { before: 0, after: 0 }
    for (const p of before) p.on('connection-close', () => disconnects.before++)
    for (const p of after) p.on('connection-close', () => disconnects.after++)
    await new Promise((resolve) => setTimeout(resolve, DURATION_S * 1000))
    for (const t of timers) clearInterval(t)
    const perMinute = (clients: WebsocketProvider[], base: number[]) => {
      const bytes = clients.map((p, i) => {
        const s = socketOf(p)
        return s ? s.bytesRead + s.bytesWritten - (base[i] ?? 0) : Number.NaN
      })
      return bytes.reduce((a, b) => a + b, 0) / clients.length / (DURATION_S / 60)
    }
    const b = perMinute(before, startBefore)
    const a = perMinute(after, startAfter)
    console.log(
      `idle keepalive — ${ITEMS} items (state ${fullState} B, delete set ${deleteSet} B), ${CLIENTS} idle clients per group, ${DURATION_S} s (node ${process.version})`,
    )
    console.log(`${'case'.padEnd(52)} ${'bytes/conn/min'.padStart(15)} ${'drops'.padStart(6)}`)
    console.log(
      `${'before: full sync step 1 every 10 s'.padEnd(52)} ${b.toFixed(0).padStart(15)} ${String(disconnects.before).padStart(6)}`,
    )
    console.log(
      `${'after: relay heartbeat to idle connections'.padEnd(52)} ${a.toFixed(0).padStart(15)} ${String(disconnects.after).padStart(6)}`,
    )
    console.log(`ratio ${(b / a).toFixed(0)}×`)
    for (const p of [...before, ...after]) p.destroy()
  } finally {
    await relay.stop()
    rmSync(relay.dataDir, { recursive: true, force: true })
  }
}

// Exits once done: the y-websocket providers' Awareness (y-protocols) intervals keep it alive.
main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
