import { setImmediate as nextTick } from 'node:timers/promises'
import { unpublishedEntries } from '../../common/doc/curation-doc'
import { itemsMap } from '../../common/doc/queue-doc'
import { type RoomRef, roomName } from '../../common/doc/rooms'
import type { Logger } from '../log'
import { SqliteStore } from '../persistence/sqlite-store'
import { SqliteDocStore } from '../storage/sqlite/doc-store'
import { type DocStore, type RoomHooks, SerialQueue } from '../storage/types'
import { migrateQueueRoom } from './curation-migration'
import { loadDoc, Room, spread } from './room'

type Entry = {
  room: Room
  holds: number
  idleTimer: NodeJS.Timeout | null
  /** Stops following other nodes' changes to the room (stores shared by several nodes). */
  unwatch?: () => void
}

export type RoomManagerOptions = {
  idleUnloadMs: number
  compactEvery: number
  /** Idle peers get a few-byte frame this often (see Peer.heartbeat); default 10 s. */
  heartbeatMs?: number
  /** Called once a room is loaded, before anyone is served (the short links' queue index). */
  onLoad?: (room: Room) => void
  /** Extension points every room calls (see RoomHooks). */
  hooks?: RoomHooks
  /** Read-only connections get updates merged this often (0 = each at once, the default). */
  readerFanoutMs?: number
  /** SQLite only: appends go to the update journal first (storage/sqlite/journal.ts). */
  updateJournal?: boolean
}

/**
 * y-websocket drops a connection that received nothing for 30 s. Cores used to ask for a full
 * sync every 10 s to stay open, which made the relay send the whole delete set back each time;
 * a heartbeat of a few bytes to peers that were sent nothing lately does the same job.
 */
export const DEFAULT_HEARTBEAT_MS = 10_000

/** Close code for the connections of a room whose storage failed: they reconnect and reload. */
const TRY_AGAIN_LATER = 1013

/**
 * Loads rooms on first use, shares them between holders (connections and the relay's own
 * writers), and compacts + unloads them after `idleUnloadMs` without any holder.
 */
export class RoomManager {
  readonly #store: DocStore
  readonly #log: Logger
  readonly #options: RoomManagerOptions
  readonly #entries = new Map<string, Entry>()
  readonly #loading = new Map<string, Promise<Entry>>()
  readonly #heartbeat: NodeJS.Timeout
  /** Idle unloads' compactions, one after another (see #unload). */
  readonly #spaced = new SerialQueue()

  /** A raw SqliteStore (tests, tools) gets the embedded DocStore around it. */
  constructor(store: DocStore | SqliteStore, log: Logger, options: RoomManagerOptions) {
    this.#store =
      store instanceof SqliteStore
        ? new SqliteDocStore(store, { journal: options.updateJournal ?? false })
        : store
    this.#log = log
    this.#options = options
    const every = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
    // One timer for all connections; each is sent a heartbeat only if it was sent nothing for
    // about an interval, so busy rooms cost nothing extra.
    this.#heartbeat = setInterval(() => {
      const now = Date.now()
      for (const { room } of this.#entries.values())
        for (const peer of room.peers) peer.heartbeat?.(now, every)
    }, every / 2)
    this.#heartbeat.unref()
  }

  get store(): DocStore {
    return this.#store
  }

  get loadedCount(): number {
    return this.#entries.size
  }

  /** The room if it is loaded now (never loads it, never holds it). */
  peek(ref: RoomRef): Room | undefined {
    return this.#entries.get(roomName(ref.workspaceId, ref.doc))?.room
  }

  /** The room, fully loaded (snapshot + every stored update applied). Pair with `release`. */
  async acquire(ref: RoomRef): Promise<Room> {
    const name = roomName(ref.workspaceId, ref.doc)
    const entry = this.#entries.get(name) ?? (await this.#load(name, ref))
    entry.holds++
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer)
      entry.idleTimer = null
    }
    return entry.room
  }

  #load(name: string, ref: RoomRef): Promise<Entry> {
    const inFlight = this.#loading.get(name)
    if (inFlight) return inFlight
    const loading = (async () => {
      // Yield first: connections that arrive meanwhile queue behind this one load.
      await nextTick()
      const started = performance.now()
      try {
        const loaded = await loadDoc(this.#store, name)
        const room = new Room(
          ref,
          name,
          this.#store,
          loaded,
          this.#log,
          this.#options.compactEvery,
          (r) => this.#onBroken(r),
          this.#options.hooks,
          this.#options.readerFanoutMs ?? 0,
        )
        if (ref.doc === 'queue') {
          try {
            await this.#migrateQueue(room)
          } catch (error) {
            // Never serve a queue that may still hold curation content: the load fails, retried.
            room.destroy()
            throw error
          }
        }
        const onLoad = this.#options.hooks?.onLoad
        if (onLoad) {
          try {
            await onLoad({ room: name, ref, lastSeq: room.lastSeq, pendingUpdates: loaded.pending })
          } catch (error) {
            this.#log.error('room hook failed', {
              room: name,
              hook: 'onLoad',
              error: (error as Error).message,
            })
          }
        }
        const entry: Entry = { room, holds: 0, idleTimer: null }
        // From the loaded seq, not room.lastSeq: the migration's appends may have moved it past
        // another node's entries.
        this.#follow(entry, loaded.lastSeq)
        this.#entries.set(name, entry)
        this.#options.onLoad?.(room)
        this.#log.info('room loaded', {
          room: name,
          seq: room.lastSeq,
          ms: Math.round(performance.now() - started),
        })
        return entry
      } finally {
        this.#loading.delete(name)
      }
    })()
    this.#loading.set(name, loading)
    return loading
  }

  /** Several nodes share the store: apply what the others store, relay presence both ways. */
  #follow(entry: Entry, afterSeq: number): void {
    const store = this.#store
    const { room } = entry
    if (!store.watch) return
    entry.unwatch = store.watch(room.name, afterSeq, {
      updates: (updates, lastSeq) => room.applyRemote(updates, lastSeq),
      resync: (stored) => room.resyncFrom(stored),
      awareness: (update) => room.applyRemoteAwareness(update),
    })
    const publish = store.publishAwareness?.bind(store)
    if (publish) room.publishAwareness = (update) => publish(room.name, update)
  }

  /** Before anyone is served: drafts and proposals of an older layout leave the queue. */
  async #migrateQueue(queue: Room): Promise<void> {
    if (unpublishedEntries(queue.doc, itemsMap(queue.doc).keys()).length === 0) return
    const curation = await this.acquire({ workspaceId: queue.ref.workspaceId, doc: 'curation' })
    try {
      await migrateQueueRoom(queue, curation, this.#log)
    } finally {
      this.release(curation)
    }
  }

  release(room: Room): void {
    const entry = this.#entries.get(room.name)
    if (!entry || entry.room !== room) return
    entry.holds = Math.max(0, entry.holds - 1)
    if (entry.holds > 0) return
    // Spread: rooms left together (a meeting's end) are not all compacted on one turn.
    entry.idleTimer = setTimeout(
      () => void this.#unload(room.name),
      spread(this.#options.idleUnloadMs),
    )
    entry.idleTimer.unref()
  }

  /**
   * Storage failed under `room` and its doc could not be rebuilt: forget it (no compaction, its
   * doc may be ahead of storage), so the next holder loads it afresh, and close its connections
   * so they reconnect to that fresh load rather than stay on a room nobody else shares.
   */
  #onBroken(room: Room): void {
    const entry = this.#entries.get(room.name)
    if (entry?.room === room) {
      if (entry.idleTimer) clearTimeout(entry.idleTimer)
      entry.unwatch?.()
      this.#entries.delete(room.name)
    }
    for (const peer of [...room.peers]) peer.close?.(TRY_AGAIN_LATER, 'storage unavailable')
    room.destroy()
  }

  /** Hold a room only for the duration of `fn` (relay-authored changes). */
  async with<T>(ref: RoomRef, fn: (room: Room) => T | Promise<T>): Promise<T> {
    const room = await this.acquire(ref)
    try {
      return await fn(room)
    } finally {
      this.release(room)
    }
  }

  async #unload(name: string, why: 'unload' | 'shutdown' = 'unload'): Promise<void> {
    const entry = this.#entries.get(name)
    if (!entry || (entry.holds > 0 && why === 'unload')) return
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    entry.unwatch?.()
    this.#entries.delete(name)
    try {
      // Idle unloads fold only rooms worth it, one per event-loop turn (many rooms go idle on
      // the same turn: a meeting's end, the directory rooms a connect burst wrote once).
      if (why === 'shutdown') await entry.room.compact(why)
      else if (entry.room.worthCompacting)
        await this.#spaced.run(async () => {
          await nextTick()
          await entry.room.compact(why)
        })
      else await entry.room.idle()
    } catch (error) {
      // The log is intact: the next load replays it. Say so rather than crash the relay.
      this.#log.error('compaction failed', { room: name, error: (error as Error).message })
    }
    entry.room.destroy()
    if (this.#store instanceof SqliteDocStore) this.#store.forget(name)
    this.#log.info('room unloaded', { room: name, why })
  }

  /** SQLite's update journal emptied into SQLite, for an erasure's purge (storage/sqlite/doc-store.ts). */
  purgeJournal(): void {
    if (this.#store instanceof SqliteDocStore) this.#store.purgeJournal()
  }

  /** Compact and unload everything (graceful shutdown). */
  async closeAll(): Promise<void> {
    clearInterval(this.#heartbeat)
    await Promise.allSettled([...this.#loading.values()])
    await Promise.all([...this.#entries.keys()].map((name) => this.#unload(name, 'shutdown')))
    await this.#store.close()
  }
}
