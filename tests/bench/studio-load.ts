/**
 * Studio load benchmark: `npx tsx tests/bench/studio-load.ts`
 *
 * A real relay; a generator (a y-websocket client with a champion token, like a core) writes a
 * workspace of ITEMS items and then a year of edit history: UPDATES small transactions (typing
 * bursts in captions and notes, title and status changes, priority moves) with timestamps spread
 * over 365 days. Then a new champion's core host (fresh data dir) joins; we time join → synced and
 * join → `queue.list` returning every item. Measured twice: with the room in the relay's memory,
 * and after a relay restart (the room loads from the relay's SQLite).
 */
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { insertItem, itemsMap, readItems } from '../../common/doc/queue-doc'
import { roomName } from '../../common/doc/rooms'
import { type Item, newItem, OBJECTIVES } from '../../common/model/item'
import { NETWORKS } from '../../common/model/networks'
import { startCore } from '../helpers/core'
import { type RelayProcess, startRelay } from '../helpers/relay'

const ITEMS = Number(process.env.ITEMS ?? 1000)
const UPDATES = Number(process.env.UPDATES ?? 50_000)
const YEAR_MS = 365 * 86_400_000

/** A small deterministic PRNG so runs are comparable. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function benchId(i: number): string {
  return `item_bench${String(i).padStart(5, '0')}`
}

function benchItem(i: number, at: string): Item {
  const made = newItem(
    {
      id: benchId(i),
      title: `Item ${i}: quarterly update`,
      url: `https://example.com/news/${i}`,
      objective: OBJECTIVES[i % 3] ?? 'awareness',
      authorId: 'mem_generator',
      createdAt: at,
    },
    {
      source: 'Acme newsroom',
      topics: [`topic-${i % 12}`],
      why: 'Why this matters to us.',
      captions: { linkedin: 'A first caption.', x: 'Short one.' },
    },
  )
  if ('issues' in made) throw new Error(`bench item ${i}: ${made.issues.join('; ')}`)
  // The queue document holds published items only (the relay refuses the rest: curation).
  return { ...made.item, status: 'published' }
}

/** A y-websocket client of `room` on the relay, once it has synced. */
async function connect(
  relay: RelayProcess,
  token: string,
  room: string,
  doc: Y.Doc,
): Promise<WebsocketProvider> {
  const provider = new WebsocketProvider(relay.url, room, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  if (provider.synced) return provider
  await new Promise<void>((resolve) => {
    const onSync = (synced: boolean) => {
      if (!synced) return
      provider.off('sync', onSync)
      resolve()
    }
    provider.on('sync', onSync)
  })
  return provider
}

/** Wait until everything the generator sent is in the relay (a fresh client sees it all). */
async function relayHolds(relay: RelayProcess, token: string, room: string, expected: Y.Doc) {
  const want = Y.encodeStateVector(expected)
  for (;;) {
    const doc = new Y.Doc()
    const provider = await connect(relay, token, room, doc)
    const have = Y.encodeStateVector(doc)
    provider.destroy()
    doc.destroy()
    if (Buffer.compare(Buffer.from(have), Buffer.from(want)) === 0) return
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function generate(relay: RelayProcess, token: string, room: string): Promise<Y.Doc> {
  const doc = new Y.Doc()
  const provider = await connect(relay, token, room, doc)
  const random = prng(42)
  const start = Date.now() - YEAR_MS
  const at = (k: number) => new Date(start + (k / UPDATES) * YEAR_MS).toISOString()
  let sent = 0
  const t0 = performance.now()
  // Items arrive over the year too: created in batches of 20, interleaved with edits.
  let created = 0
  while (sent < UPDATES) {
    if (created < ITEMS && random() < ITEMS / UPDATES + 0.002) {
      const batch = Math.min(20, ITEMS - created)
      doc.transact(() => {
        for (let b = 0; b < batch; b++) insertItem(doc, benchItem(created + b, at(sent)))
      })
      created += batch
      sent++
      continue
    }
    if (created === 0) continue
    const map = itemsMap(doc).get(benchId(Math.floor(random() * created)))
    if (!map) continue
    const roll = random()
    doc.transact(() => {
      if (roll < 0.6) {
        // A typing burst of 1-6 characters in a caption (sometimes a deletion).
        const captions = map.get('captions') as Y.Map<Y.Text>
        const network = NETWORKS[Math.floor(random() * 2)] ?? 'linkedin'
        let text = captions.get(network)
        if (!text) {
          text = new Y.Text()
          captions.set(network, text)
        }
        if (text.length > 200 && random() < 0.5) {
          text.delete(Math.floor(random() * (text.length - 5)), 5)
        } else {
          text.insert(
            Math.floor(random() * (text.length + 1)),
            'abcdef'.slice(0, 1 + Math.floor(random() * 6)),
          )
        }
      } else if (roll < 0.75) {
        const why = map.get('why') as Y.Text
        why.insert(why.length, ' more')
      } else if (roll < 0.85) {
        map.set('title', `Item retitled ${Math.floor(random() * 1e6)}`)
      } else if (roll < 0.95) {
        map.set('priority', Math.floor(random() * 101))
      } else {
        // A status write (the queue holds published items only: the same value, a new update).
        random()
        map.set('status', 'published')
      }
      map.set('updatedAt', at(sent))
    })
    sent++
    // Let the socket drain now and then (a year of edits does not arrive in one burst).
    if (sent % 500 === 0) await new Promise((r) => setImmediate(r))
  }
  const genMs = performance.now() - t0
  await relayHolds(relay, token, room, doc)
  const totalMs = performance.now() - t0
  console.log(
    `generated ${created} items + ${UPDATES} updates in ${(genMs / 1000).toFixed(1)} s; relay holds all after ${(totalMs / 1000).toFixed(1)} s (${Math.round(UPDATES / (totalMs / 1000))} updates/s)`,
  )
  provider.destroy()
  return doc
}

async function newChampionLoad(
  relay: RelayProcess,
  workspaceId: string,
  label: string,
  items: number,
) {
  const core = await startCore()
  try {
    const invitation = await relay.invite({
      workspaceId,
      name: `New champion ${label}`,
      role: 'champion',
    })
    const t0 = performance.now()
    await core.client.call('workspace.join', { invitation })
    let syncedMs = Number.NaN
    for (;;) {
      const status = await core.client.call('status.get', {})
      if (status.sync === 'synced' && Number.isNaN(syncedMs)) syncedMs = performance.now() - t0
      if (!Number.isNaN(syncedMs)) {
        const listed = await core.client.call('queue.list', {})
        if (listed.length >= items) {
          const listedMs = performance.now() - t0
          console.log(
            `${label}: join → synced ${syncedMs.toFixed(0)} ms; join → queue.list(${listed.length}) ${listedMs.toFixed(0)} ms`,
          )
          return { syncedMs, listedMs }
        }
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  } finally {
    await core.stop()
  }
}

async function main() {
  let relay = await startRelay()
  try {
    const workspaceId = await relay.createWorkspace('Load bench')
    const { token } = await relay.issueToken({ workspaceId, name: 'Generator', role: 'champion' })
    const room = roomName(workspaceId, 'queue')
    const doc = await generate(relay, token, room)
    const { items, invalid } = readItems(doc)
    const bytes = Y.encodeStateAsUpdate(doc).byteLength
    console.log(
      `document: ${items.length} valid items (${invalid.length} invalid), ${(bytes / 1024 / 1024).toFixed(2)} MB as one update`,
    )
    const warm = await newChampionLoad(relay, workspaceId, 'room in relay memory', items.length)
    const { dataDir, port } = relay
    await relay.stop()
    relay = await startRelay({ dataDir, port })
    const cold = await newChampionLoad(
      relay,
      workspaceId,
      'relay restarted (room from SQLite)',
      items.length,
    )
    console.log(
      `RESULT new champion, ${ITEMS} items + ${UPDATES} updates: synced ${warm.syncedMs.toFixed(0)} / ${cold.syncedMs.toFixed(0)} ms, listed ${warm.listedMs.toFixed(0)} / ${cold.listedMs.toFixed(0)} ms (warm / cold relay)`,
    )
  } finally {
    await relay.stop()
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
