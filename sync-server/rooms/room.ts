import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { RoomRef } from '../../common/doc/rooms'
import type { Logger } from '../log'
import type { SqliteStore } from '../persistence/sqlite-store'
import { encodeAwareness, encodeSyncUpdate, ProtocolError } from '../protocol/messages'
import { checkAwarenessUpdate, checkUpdate } from '../protocol/payloads'

/** SQLite refused a write (disk full, I/O error): the client may retry later, it did no wrong. */
export class StorageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StorageError'
  }
}

/** What a room needs from a connection: where to send, and who it is in logs. */
export interface Peer {
  readonly id: number
  send(frame: Uint8Array): void
}

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] }

export type LoadedDoc = { doc: Y.Doc; lastSeq: number; pending: number; skipped: number }

/** Build a Y.Doc from what the store holds for a room (snapshot first, then the log in order). */
export function loadDoc(store: SqliteStore, name: string): LoadedDoc {
  const stored = store.load(name)
  const parts = stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates
  const result = { lastSeq: stored.lastSeq, pending: stored.updates.length }
  const doc = new Y.Doc()
  try {
    // One transaction for the whole history: observers and cleanup run once, not per update.
    doc.transact(() => {
      for (const part of parts) Y.applyUpdate(doc, part)
    })
    return { doc, ...result, skipped: 0 }
  } catch {
    // Only what the relay's own doc produced is ever stored, so this should not happen; if it
    // does, keep the room available with everything that can be read rather than refuse it.
    doc.destroy()
    const salvaged = new Y.Doc()
    let skipped = 0
    for (const part of parts) {
      try {
        Y.applyUpdate(salvaged, part)
      } catch {
        skipped++
      }
    }
    return { doc: salvaged, ...result, skipped }
  }
}

/**
 * One loaded document and the connections on it. Every change — from a client or from the relay
 * itself — is appended to SQLite and committed *before* it is sent to anyone.
 */
export class Room {
  readonly name: string
  readonly ref: RoomRef
  readonly peers = new Set<Peer>()
  /** Presence is ephemeral: kept in memory only, never stored. */
  readonly awareness: Awareness
  doc: Y.Doc
  #lastSeq: number
  /** Updates appended since the last snapshot; drives periodic compaction. */
  #sinceSnapshot: number
  #captured: Uint8Array[] | null = null
  readonly #store: SqliteStore
  readonly #log: Logger
  readonly #compactEvery: number
  readonly #awarenessOwners = new Map<Peer, Set<number>>()

  constructor(ref: RoomRef, name: string, store: SqliteStore, log: Logger, compactEvery: number) {
    this.ref = ref
    this.name = name
    this.#store = store
    this.#log = log
    this.#compactEvery = compactEvery
    const loaded = loadDoc(store, name)
    if (loaded.skipped > 0)
      log.error('skipped unreadable stored updates', { room: name, skipped: loaded.skipped })
    this.doc = loaded.doc
    this.#lastSeq = loaded.lastSeq
    this.#sinceSnapshot = loaded.pending
    this.#watch(this.doc)
    // The awareness instance gets its own doc: the relay has no presence of its own.
    this.awareness = new Awareness(new Y.Doc())
    this.awareness.setLocalState(null)
    this.awareness.on('update', (change: AwarenessChange, origin: unknown) =>
      this.#onAwareness(change, origin),
    )
  }

  get lastSeq(): number {
    return this.#lastSeq
  }

  #watch(doc: Y.Doc): void {
    doc.on('update', (update: Uint8Array) => {
      // Only changes made through #change are expected; anything else is a bug worth seeing.
      if (this.#captured) this.#captured.push(update)
      else this.#log.error('uncaptured room change ignored', { room: this.name })
    })
  }

  /**
   * Run `fn` against the doc, then durably append what it changed and broadcast it to every
   * peer but `origin`. If `fn` throws, the in-memory doc may hold part of the change: it is
   * rebuilt from storage so nothing unstored is ever served.
   */
  #change(fn: (doc: Y.Doc) => void, origin: Peer | null): void {
    const captured: Uint8Array[] = []
    this.#captured = captured
    try {
      fn(this.doc)
    } catch (error) {
      this.#captured = null
      this.#reload()
      throw error
    }
    this.#captured = null
    if (captured.length === 0) return
    const firstSeq = this.#lastSeq + 1
    try {
      this.#store.append(this.name, firstSeq, captured)
    } catch (error) {
      // Not stored, so not sent: forget it in memory too. The client still holds the change and
      // hands it back when it resyncs.
      this.#reload()
      throw new StorageError(`could not store update: ${(error as Error).message}`)
    }
    this.#lastSeq += captured.length
    this.#sinceSnapshot += captured.length
    for (const update of captured) this.broadcast(encodeSyncUpdate(update), origin)
    if (this.#sinceSnapshot >= this.#compactEvery) this.compact('periodic')
  }

  #reload(): void {
    this.doc.destroy()
    const loaded = loadDoc(this.#store, this.name)
    this.doc = loaded.doc
    this.#lastSeq = loaded.lastSeq
    this.#sinceSnapshot = loaded.pending
    this.#watch(this.doc)
    this.#log.warn('room reloaded from storage after a failed update', { room: this.name })
  }

  /** Apply an update from a writable connection; throws ProtocolError if it is not valid Yjs. */
  applyClientUpdate(update: Uint8Array, origin: Peer): void {
    checkUpdate(update)
    this.#change((doc) => {
      try {
        Y.applyUpdate(doc, update, origin)
      } catch (error) {
        throw new ProtocolError(`Yjs update failed to apply: ${(error as Error).message}`)
      }
    }, origin)
  }

  /** A change authored by the relay itself (e.g. the directory of members). */
  changeByRelay(fn: (doc: Y.Doc) => void): void {
    this.#change((doc) => doc.transact(() => fn(doc), 'relay'), null)
  }

  applyAwareness(update: Uint8Array, origin: Peer): void {
    checkAwarenessUpdate(update)
    try {
      applyAwarenessUpdate(this.awareness, update, origin)
    } catch (error) {
      throw new ProtocolError(`awareness update failed to apply: ${(error as Error).message}`)
    }
  }

  /** Every known presence state, for a new or asking connection; null when there is none. */
  awarenessSnapshot(): Uint8Array | null {
    const ids = [...this.awareness.getStates().keys()]
    return ids.length > 0 ? encodeAwareness(encodeAwarenessUpdate(this.awareness, ids)) : null
  }

  #onAwareness({ added, updated, removed }: AwarenessChange, origin: unknown): void {
    const peer =
      origin instanceof Object && this.peers.has(origin as Peer) ? (origin as Peer) : null
    if (peer) {
      // Remember which client ids a connection speaks for, to clear them when it leaves.
      let owned = this.#awarenessOwners.get(peer)
      if (!owned) {
        owned = new Set()
        this.#awarenessOwners.set(peer, owned)
      }
      for (const id of [...added, ...updated]) owned.add(id)
      for (const id of removed) owned.delete(id)
    }
    const changed = [...added, ...updated, ...removed]
    if (changed.length === 0) return
    this.broadcast(encodeAwareness(encodeAwarenessUpdate(this.awareness, changed)), peer)
  }

  broadcast(frame: Uint8Array, except: Peer | null): void {
    for (const peer of this.peers) if (peer !== except) peer.send(frame)
  }

  addPeer(peer: Peer): void {
    this.peers.add(peer)
  }

  removePeer(peer: Peer): void {
    this.peers.delete(peer)
    const owned = this.#awarenessOwners.get(peer)
    this.#awarenessOwners.delete(peer)
    if (owned && owned.size > 0) removeAwarenessStates(this.awareness, [...owned], 'disconnect')
  }

  /** Fold the log into one snapshot (state of the loaded doc) and delete it, in one transaction. */
  compact(why: 'periodic' | 'unload' | 'shutdown'): void {
    if (this.#sinceSnapshot === 0) return
    const started = performance.now()
    const snapshot = Y.encodeStateAsUpdate(this.doc)
    const removed = this.#store.compact(this.name, snapshot, this.#lastSeq)
    this.#sinceSnapshot = 0
    this.#log.info('room compacted', {
      room: this.name,
      why,
      uptoSeq: this.#lastSeq,
      removedUpdates: removed,
      snapshotBytes: snapshot.byteLength,
      ms: Math.round(performance.now() - started),
    })
  }

  destroy(): void {
    this.awareness.destroy()
    this.doc.destroy()
  }
}
