import { setImmediate as nextTick } from 'node:timers/promises'
import { type RoomRef, roomName } from '../../common/doc/rooms'
import type { Logger } from '../log'
import type { SqliteStore } from '../persistence/sqlite-store'
import { Room } from './room'

type Entry = { room: Room; holds: number; idleTimer: NodeJS.Timeout | null }

export type RoomManagerOptions = { idleUnloadMs: number; compactEvery: number }

/**
 * Loads rooms on first use, shares them between holders (connections and the relay's own
 * writers), and compacts + unloads them after `idleUnloadMs` without any holder.
 */
export class RoomManager {
  readonly #store: SqliteStore
  readonly #log: Logger
  readonly #options: RoomManagerOptions
  readonly #entries = new Map<string, Entry>()
  readonly #loading = new Map<string, Promise<Entry>>()

  constructor(store: SqliteStore, log: Logger, options: RoomManagerOptions) {
    this.#store = store
    this.#log = log
    this.#options = options
  }

  get loadedCount(): number {
    return this.#entries.size
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
        const room = new Room(ref, name, this.#store, this.#log, this.#options.compactEvery)
        const entry: Entry = { room, holds: 0, idleTimer: null }
        this.#entries.set(name, entry)
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

  release(room: Room): void {
    const entry = this.#entries.get(room.name)
    if (!entry || entry.room !== room) return
    entry.holds = Math.max(0, entry.holds - 1)
    if (entry.holds > 0) return
    entry.idleTimer = setTimeout(() => this.#unload(room.name), this.#options.idleUnloadMs)
    entry.idleTimer.unref()
  }

  /** Hold a room only for the duration of `fn` (relay-authored changes). */
  async with<T>(ref: RoomRef, fn: (room: Room) => T): Promise<T> {
    const room = await this.acquire(ref)
    try {
      return fn(room)
    } finally {
      this.release(room)
    }
  }

  #unload(name: string, why: 'unload' | 'shutdown' = 'unload'): void {
    const entry = this.#entries.get(name)
    if (!entry || (entry.holds > 0 && why === 'unload')) return
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    this.#entries.delete(name)
    try {
      entry.room.compact(why)
    } catch (error) {
      // The log is intact: the next load replays it. Say so rather than crash the relay.
      this.#log.error('compaction failed', { room: name, error: (error as Error).message })
    }
    entry.room.destroy()
    this.#log.info('room unloaded', { room: name, why })
  }

  /** Compact and unload everything (graceful shutdown). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#loading.values()])
    for (const name of [...this.#entries.keys()]) this.#unload(name, 'shutdown')
  }
}
