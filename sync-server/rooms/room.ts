import * as decoding from 'lib0/decoding'
import { getUnixTime } from 'lib0/time'
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  outdatedTimeout,
  removeAwarenessStates,
} from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { Access, RoomRef } from '../../common/doc/rooms'
import type { Logger } from '../log'
import { SqliteStore } from '../persistence/sqlite-store'
import { encodeAwareness, encodeSync, ProtocolError, SYNC_UPDATE } from '../protocol/messages'
import {
  type AwarenessEntry,
  checkUpdate,
  decodeAwarenessUpdate,
  encodeAwarenessEntries,
  presenceName,
} from '../protocol/payloads'
import {
  type ChangeOrigin,
  type ChangePayload,
  type DocStore,
  type RoomHooks,
  SerialQueue,
  type StoredDoc,
  type StorePayload,
} from '../storage/types'
import {
  checkSchema,
  type Dropped,
  dropPending,
  prepareDoc,
  type Repair,
  touchedRoots,
} from '../validation'
import { SyncAnswers } from './sync-answers'

const NO_REPAIRS: Repair[] = []
const DONE = Promise.resolve()

/** SQLite refused a write (disk full, I/O error): the client may retry later, it did no wrong. */
export class StorageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StorageError'
  }
}

/** What a room needs from a connection: where to send, and who it is (logs, presence). */
export interface Peer {
  readonly id: number
  /** The member behind the connection (token subject); peers without one never take over. */
  readonly member?: string
  /**
   * What the connection may do to this doc. Only writers publish presence; a peer that does not
   * say is treated as a reader, so a forgotten field can never let presence through.
   */
  readonly access?: Access
  /**
   * The token's `name` claim: the only `user.name` this peer's presence may show. A peer without
   * one may only publish presence that names nobody.
   */
  readonly memberName?: string
  /**
   * A relay-side listener that only needs to know that something was stored (the short links'
   * indexer): sent NOTIFY_FRAME at once instead of updates, and never the reason the room merges
   * updates for readers.
   */
  readonly notifyOnly?: boolean
  /**
   * For a notify-only peer: whether a stored change concerns it, from the transactions that
   * made it (absent: every change does). The indexer needs no pass for a change that moved no
   * link target — almost every keystroke (issue 11.3).
   */
  wants?(changes: readonly Y.Transaction[]): boolean
  send(frame: Uint8Array): void
  /** Asked when the room can no longer serve (its storage failed): the peer should reconnect. */
  close?(code: number, reason: string): void
  /** Send a few bytes if nothing was sent for `everyMs` (see RoomManager). */
  heartbeat?(now: number, everyMs: number): void
}

/**
 * What became of a change: settled once it is durable and broadcast, or refused (StorageError:
 * it was then sent to no one). A promise is made only for whoever asks for one (`promise`); a
 * connection hears of a refusal through `onRefused` (issue 11.3: on a synchronous store, no
 * promise per keystroke).
 */
export class Outcome {
  /** undefined while pending; null once settled well; else why it was refused. */
  #error: unknown = undefined
  #promise: Promise<void> | null
  #resolve: (() => void) | null = null
  #reject: ((error: unknown) => void) | null = null
  #onRefused: ((error: unknown) => void) | null = null

  /** Pending (settled later by `settle`), or following `promise` (the asynchronous path). */
  constructor(promise: Promise<void> | null = null) {
    this.#promise = promise
  }

  get promise(): Promise<void> {
    if (this.#promise) return this.#promise
    if (this.#error === null) this.#promise = DONE
    else if (this.#error !== undefined) this.#promise = Promise.reject(this.#error)
    else
      this.#promise = new Promise<void>((resolve, reject) => {
        this.#resolve = resolve
        this.#reject = reject
      })
    return this.#promise
  }

  /** `fn` hears of a refusal (never synchronously from this call); one listener. */
  onRefused(fn: (error: unknown) => void): void {
    if (this.#error === undefined && this.#promise === null) {
      this.#onRefused = fn
      return
    }
    this.promise.catch(fn)
  }

  settle(error: unknown = null): void {
    if (this.#error !== undefined) return
    this.#error = error
    if (error === null) this.#resolve?.()
    else {
      this.#reject?.(error)
      this.#onRefused?.(error)
    }
    this.#resolve = this.#reject = this.#onRefused = null
  }
}

/** A change with nothing to store (settled). */
const NOTHING = new Outcome(Promise.resolve())

/**
 * What became of a client's update: parts that could never integrate, fields repaired, and the
 * outcome of the rest (`stored`: its promise, see Outcome).
 */
export class ApplyResult {
  dropped: Dropped | null = null
  repairs: Repair[] = NO_REPAIRS
  outcome: Outcome = NOTHING

  /** Settles once the change is durable and broadcast (rejects with StorageError if refused). */
  get stored(): Promise<void> {
    return this.outcome.promise
  }
}

/** What a hook is told of a change (one object per hook call; no closure per change). */
class Change implements ChangePayload {
  constructor(
    readonly room: string,
    readonly ref: RoomRef,
    readonly updates: readonly Uint8Array[],
    readonly origin: ChangeOrigin,
    readonly transactions: readonly Y.Transaction[],
  ) {}

  touches(roots: readonly string[]): boolean {
    return touchesRoots(this.transactions, roots)
  }
}

class StoredChange extends Change implements StorePayload {
  constructor(
    change: Change,
    readonly firstSeq: number,
    readonly lastSeq: number,
  ) {
    super(change.room, change.ref, change.updates, change.origin, change.transactions)
  }
}

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] }

/** Origin of changes another node stored, and of presence it relayed. */
const REMOTE = Symbol('another node')

/** What a notify-only peer is sent after each stored change (not a protocol frame). */
export const NOTIFY_FRAME = new Uint8Array(0)

/**
 * An idle room is compacted on unload only from this many stored updates since its snapshot
 * (or if it dropped stored data): reloading replays fewer at no cost, and rooms unloaded together
 * (a directory written once per new member, hundreds idle at once) no longer fold each on the
 * event loop in one burst (issue 11.3).
 */
export const UNLOAD_COMPACT_MIN = 32

/** Presence is a name, a colour and a cursor: anything bigger is not relayed to every peer. */
export const MAX_AWARENESS_BYTES = 32 * 1024
/** Presence client ids one connection may speak for (one per Y.Doc it syncs, with spare). */
export const MAX_AWARENESS_CLIENTS = 8
/** Refused presence is logged at most once per connection per interval, with a count. */
const DROP_LOG_INTERVAL_MS = 60_000

/** What a connection speaks for in presence, and how much of it was refused lately. */
type PresenceRecord = { ids: Set<number>; dropped: number; loggedAt: number | null }

export type LoadedDoc = {
  doc: Y.Doc
  lastSeq: number
  pending: number
  skipped: number
  /** Stored data that could never integrate (kept by relays before they refused it): dropped. */
  dropped: Dropped | null
}

/**
 * Build a Y.Doc from what the store holds for a room (snapshot first, then the log in order).
 * Synchronous for the raw SQLite store (tools and tests read a data dir offline).
 */
export function loadDoc(store: SqliteStore, name: string): LoadedDoc
export function loadDoc(store: DocStore, name: string): Promise<LoadedDoc>
export function loadDoc(
  store: SqliteStore | DocStore,
  name: string,
): LoadedDoc | Promise<LoadedDoc> {
  if (store instanceof SqliteStore) return buildDoc(store.load(name))
  return store.load(name).then(buildDoc)
}

/** A doc from stored data; data that cannot integrate is dropped (see LoadedDoc). */
export function buildDoc(stored: StoredDoc): LoadedDoc {
  const parts = stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates
  const result = { lastSeq: stored.lastSeq, pending: stored.updates.length }
  const doc = new Y.Doc()
  try {
    // One transaction for the whole history: observers and cleanup run once, not per update.
    doc.transact(() => {
      for (const part of parts) Y.applyUpdate(doc, part)
    })
    return { doc, ...result, skipped: 0, dropped: dropPending(doc) }
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
    return { doc: salvaged, ...result, skipped, dropped: dropPending(salvaged) }
  }
}

/**
 * `n` plus up to a tenth more, at random: rooms loaded or compacted together (a busy hour's
 * start, a restart) then compact on different turns instead of in one burst (issue 11.3).
 */
export function spread(n: number): number {
  return n + Math.floor(Math.random() * (n / 10))
}

/**
 * Presence not renewed for `outdatedTimeout` (30 s) is removed, as y-protocols' Awareness does
 * with an interval of its own every 3 s — one per room: a relay holding 1,000 rooms ran 333 timer
 * callbacks a second, most for rooms with no presence at all (issue 11.3: timers were ~8% of the
 * relay's busy time with 500 busy rooms, against ~4% for stock). One interval for every room
 * here, the same check (the relay has no local state to renew), started with the first room.
 */
class PresenceTimeouts {
  /** Each room's awareness, with its log and name for a failure in its check. */
  readonly #watched = new Map<Awareness, { log: Logger; room: string }>()
  #timer: NodeJS.Timeout | null = null

  watch(awareness: Awareness, log: Logger, room: string): void {
    clearInterval(awareness._checkInterval)
    this.#watched.set(awareness, { log, room })
    if (this.#timer) return
    this.#timer = setInterval(() => this.#check(), Math.floor(outdatedTimeout / 10))
    // Rooms are destroyed on close; this timer alone never keeps the process alive.
    this.#timer.unref()
  }

  forget(awareness: Awareness): void {
    this.#watched.delete(awareness)
    if (this.#watched.size > 0 || !this.#timer) return
    clearInterval(this.#timer)
    this.#timer = null
  }

  #check(): void {
    // y-protocols stamps meta.lastUpdated with this clock.
    const now = getUnixTime()
    for (const [awareness, { log, room }] of this.#watched) {
      if (awareness.states.size === 0) continue
      const remove: number[] = []
      for (const [clientId, meta] of awareness.meta)
        if (
          clientId !== awareness.clientID &&
          outdatedTimeout <= now - meta.lastUpdated &&
          awareness.states.has(clientId)
        )
          remove.push(clientId)
      if (remove.length === 0) continue
      // The removal's 'update' runs the room's fan-out (a send, a publish to other nodes): one
      // room's throw must neither skip the rooms after it nor escape from the timer (review 2, L2).
      try {
        removeAwarenessStates(awareness, remove, 'timeout')
      } catch (error) {
        log.error('presence timeout failed', {
          room,
          error: error instanceof Error ? error.message : String(error),
        })
      }
    }
  }
}

const presenceTimeouts = new PresenceTimeouts()

/** Outside a change (nothing is pushed to it: the listener pushes only while capturing). */
const NO_TRANSACTIONS: Y.Transaction[] = []
const RELAY_ORIGIN: ChangeOrigin = Object.freeze({ kind: 'relay' })

/**
 * Whether every struct of a decoded client update is new to the doc (none at or below the
 * clocks it had before `tr`) and none is a gap (Skip): then, once it integrated without
 * pending parts, the update holds exactly what `tr` added (its deletions may repeat ones the
 * doc had, which every receiver ignores). An update with no struct (deletions only) is left to
 * Yjs's encoding, which drops deletions that changed nothing.
 */
function allNew(structs: readonly (Y.Item | Y.GC | Y.Skip)[], tr: Y.Transaction): boolean {
  if (structs.length === 0) return false
  const before = tr.beforeState
  for (const struct of structs) {
    if (struct instanceof Y.Skip) return false
    const { client, clock } = struct.id
    if (clock < (before.get(client) ?? 0)) return false
  }
  return true
}

/**
 * Whether `tr` deleted a struct it added itself. Yjs's encoding of such a transaction carries
 * those structs collected (no content); the client's own bytes would keep the content.
 */
function deletesOwnStructs(tr: Y.Transaction): boolean {
  for (const [client, deleted] of tr.deleteSet.clients) {
    const before = tr.beforeState.get(client) ?? 0
    for (const range of deleted) if (range.clock + range.len > before) return true
  }
  return false
}

/**
 * Whether `changes` changed something under one of the doc's root types named `roots` (true
 * too when a changed type cannot be placed: unknown counts as touched). This gate and the
 * indexer's movesTargets compare against the doc's root instances: prepareDoc creates the four
 * root maps at every load and reload, so an update cannot create them as other types first.
 */
export function touchesRoots(changes: readonly Y.Transaction[], roots: readonly string[]): boolean {
  for (const tr of changes) {
    if (tr.changed.size === 0) continue
    const touched = touchedRoots(tr)
    if (touched === null) return true
    for (const name of roots) if (touched.has(tr.doc.share.get(name))) return true
  }
  return false
}

/**
 * lib0's `emit` for a room's doc, the same listeners called in the same order with the same
 * arguments (a copy of them first: one added by a listener is not called this time; a throwing
 * listener stops the rest and throws, as lib0's forEach does), without the Map and the array
 * lib0 makes on every call. Yjs emits six events per transaction, five of which nobody listens
 * to on a room's doc: lib0's emit was ~10% of the relay's in-process CPU per change (issue 11.3).
 */
function emitQuickly(this: Y.Doc, name: string, args: unknown[]): void {
  const listeners = (this._observers as Map<string, Set<(...args: unknown[]) => void>>).get(name)
  if (listeners === undefined || listeners.size === 0) return
  if (listeners.size === 1) {
    const only = listeners.values().next().value as (...args: unknown[]) => void
    only(...args)
    return
  }
  for (const listener of Array.from(listeners)) listener(...args)
}

type SettlingStore = DocStore & Required<Pick<DocStore, 'appendThen'>>

function settlesInFlush(store: DocStore): store is SettlingStore {
  return store.appendThen !== undefined
}

function originOf(peer: Peer | null): ChangeOrigin {
  return peer === null ? RELAY_ORIGIN : { kind: 'peer', peerId: peer.id, member: peer.member }
}

/** What Yjs checks before emitting 'update': a deletion, or a client's clock moved. */
function changedSomething(tr: Y.Transaction): boolean {
  if (tr.deleteSet.clients.size > 0) return true
  for (const [client, clock] of tr.afterState) if (tr.beforeState.get(client) !== clock) return true
  return false
}

/** How many of `peers` are not `except`. */
function othersThan(peers: ReadonlySet<Peer>, except: Peer | null): number {
  return peers.size - (except !== null && peers.has(except) ? 1 : 0)
}

/**
 * One loaded document and the connections on it. Every change — from a client or from the relay
 * itself — is applied in memory at once (validation), appended to the store, and sent to anyone
 * only once the store said it is durable. Broadcasts keep the order changes were applied in.
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
  /** The transactions of the change being captured (what it touched, for hooks and peers). */
  #transactions: Y.Transaction[] = NO_TRANSACTIONS
  readonly #store: DocStore
  readonly #hooks: RoomHooks
  /** Broadcasts (and compactions, reloads) in the order their changes were applied. */
  readonly #order = new SerialQueue()
  /** Tasks run through #run and not finished: a settled change is sent at once only at 0. */
  #tasks = 0
  /** Changes handed to `appendThen` and not yet settled (see idle). */
  #unsettled = 0
  /** Whoever waits for #unsettled to reach 0 (idle()), or null. */
  #onSettled: (() => void) | null = null
  #settledAll: Promise<void> | null = null
  /** An append failed: changes are refused until the doc was rebuilt from storage. */
  #failed = false
  /**
   * Read-only peers get stored updates merged every `#coalesceMs` (0: at once, like writers):
   * employees need no keystroke latency, and a typing burst costs one send per reader.
   */
  readonly #coalesceMs: number
  /**
   * `peers` by how a stored update reaches them (a peer's access and notifyOnly never change):
   * a keystroke then loops over its few champions and listeners, not over every employee
   * (issue 11.3: two passes over 1,001 peers per keystroke showed in the typing profile).
   */
  readonly #atOnce = new Set<Peer>()
  readonly #merged = new Set<Peer>()
  readonly #notified = new Set<Peer>()
  #forReaders: Uint8Array[] = []
  #readerTimer: NodeJS.Timeout | null = null
  readonly #log: Logger
  readonly #compactEvery: number
  /** Stored data was dropped at load: the next compaction must write a snapshot without it. */
  #mustCompact = false
  /** `#sinceSnapshot` at which the next periodic compaction runs (postponed after a failure). */
  #compactAt: number
  readonly #presence = new Map<Peer, PresenceRecord>()
  /** Each presence client id belongs to the connection that announced it first. */
  readonly #presenceOwner = new Map<number, Peer>()
  /** Storage failed and the doc could not be rebuilt from it: nothing may be served or applied. */
  #broken = false
  readonly #onBroken: (room: Room) => void
  /** Applying what another node stored (not captured: it is stored already). */
  #remote = false
  /** Sync answers kept while the doc is unchanged (diffFor, stateVector). */
  readonly #answers = new SyncAnswers()
  /** Set by the room manager when other nodes share the room: local presence goes to them. */
  publishAwareness: ((update: Uint8Array) => void) | null = null

  constructor(
    ref: RoomRef,
    name: string,
    store: DocStore,
    loaded: LoadedDoc,
    log: Logger,
    compactEvery: number,
    onBroken: (room: Room) => void = () => {},
    hooks: RoomHooks = {},
    coalesceMs = 0,
  ) {
    this.#coalesceMs = coalesceMs
    this.ref = ref
    this.name = name
    this.#store = store
    this.#hooks = hooks
    this.#log = log
    this.#compactEvery = compactEvery
    this.#compactAt = spread(compactEvery)
    this.#onBroken = onBroken
    this.doc = loaded.doc
    this.#lastSeq = loaded.lastSeq
    this.#sinceSnapshot = loaded.pending
    this.#loaded(loaded)
    // The awareness instance gets its own doc: the relay has no presence of its own.
    this.awareness = new Awareness(new Y.Doc())
    this.awareness.setLocalState(null)
    this.awareness.on('update', (change: AwarenessChange, origin: unknown) =>
      this.#onAwareness(change, origin),
    )
    presenceTimeouts.watch(this.awareness, this.#log, this.name)
  }

  get lastSeq(): number {
    return this.#lastSeq
  }

  get broken(): boolean {
    return this.#broken
  }

  /** Resolves once every change applied so far is stored and broadcast (or refused). */
  idle(): Promise<void> {
    if (this.#unsettled === 0) return this.#order.idle()
    // What their settlement queued (a compaction, a reload) comes after them.
    return this.#allSettled().then(() => this.#order.idle())
  }

  /** Resolves once no change handed to `appendThen` waits for its store (see #appendThen). */
  #allSettled(): Promise<void> {
    if (this.#unsettled === 0) return DONE
    if (!this.#settledAll)
      this.#settledAll = new Promise<void>((resolve) => {
        this.#onSettled = resolve
      })
    return this.#settledAll
  }

  /** A task in the room's order (compactions, reloads, changes sent late). */
  #run(task: () => Promise<void>): Promise<void> {
    this.#tasks++
    const done = () => {
      this.#tasks--
    }
    const run = this.#order.run(task)
    run.then(done, done)
    return run
  }

  /** Log what loading had to leave out, and start watching the new doc. */
  #loaded(loaded: LoadedDoc): void {
    if (loaded.skipped > 0)
      this.#log.error('skipped unreadable stored updates', {
        room: this.name,
        skipped: loaded.skipped,
      })
    if (loaded.dropped) {
      this.#log.warn('dropped stored data that can never integrate', {
        room: this.name,
        ...loaded.dropped,
        missing: loaded.dropped.missing.join(','),
      })
      // The next compaction writes a snapshot without it, even if no update comes.
      this.#sinceSnapshot = Math.max(this.#sinceSnapshot, 1)
      this.#mustCompact = true
    }
    prepareDoc(this.ref.doc, this.doc)
    this.#watch(this.doc)
  }

  /**
   * No 'update' listener stays on the doc: Yjs encodes every transaction for one, and a client's
   * update is mostly stored and sent as the client's own bytes (see applyClientUpdate). #change
   * listens only while its change runs; anything else that changed the doc is a bug worth seeing.
   */
  #watch(doc: Y.Doc): void {
    doc.emit = emitQuickly as Y.Doc['emit']
    doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (this.#captured) {
        this.#transactions.push(tr)
        return
      }
      if (this.#remote || !changedSomething(tr)) return
      this.#log.error('uncaptured room change ignored', { room: this.name })
    })
  }

  readonly #capture = (update: Uint8Array): void => {
    this.#captured?.push(update)
  }

  /**
   * Run `fn` against the doc, then durably append what it changed and broadcast it to every
   * peer but `origin` (to `origin` too when `fn` returns true: the relay changed what it sent).
   * If `fn` throws, the in-memory doc may hold part of the change: it is rebuilt from storage so
   * nothing unstored is ever served. The returned promise settles once the change is stored and
   * sent (StorageError if the store refused it: then it was sent to no one).
   */
  #change(fn: (doc: Y.Doc) => boolean, origin: Peer | null, listen = true): Outcome {
    if (this.#broken) throw new StorageError('room unavailable: storage failed')
    if (this.#failed) throw new StorageError('room unavailable: storage failed, reloading')
    const captured: Uint8Array[] = []
    this.#captured = captured
    const transactions: Y.Transaction[] = []
    this.#transactions = transactions
    const doc = this.doc
    // `listen` false: `fn` adds the listener itself if it wants Yjs's encoding (applyClientUpdate).
    if (listen) doc.on('update', this.#capture)
    let echo: boolean
    try {
      echo = fn(doc)
    } catch (error) {
      this.#captured = null
      this.#transactions = NO_TRANSACTIONS
      doc.off('update', this.#capture)
      this.#rollBack()
      throw error
    }
    this.#captured = null
    this.#transactions = NO_TRANSACTIONS
    doc.off('update', this.#capture)
    if (captured.length === 0) return NOTHING
    const store = this.#store
    if (settlesInFlush(store)) return this.#appendThen(store, captured, transactions, echo, origin)
    // Appends start at once (the store commits the appends of one turn together); broadcasts
    // wait for them in order.
    const stored = store.append(this.name, captured)
    stored.catch(() => {})
    const hooks = this.#hooks
    const payload =
      hooks.onChange || hooks.onStore
        ? new Change(this.name, this.ref, captured, originOf(origin), transactions)
        : null
    const changed =
      payload && hooks.onChange ? this.#hook('onChange', hooks.onChange, payload) : null
    const task = this.#order.run(async () => {
      let lastSeq: number
      try {
        lastSeq = await stored
      } catch (error) {
        throw this.#refusal(error as Error)
      }
      const refused = this.#accept(lastSeq, captured.length)
      if (refused) throw refused
      if (changed) await changed
      this.#deliver(captured, echo ? null : origin, transactions, payload, lastSeq)
      if (this.#sinceSnapshot >= this.#compactAt) await this.#compactPeriodically()
    })
    return new Outcome(task)
  }

  /**
   * #change on a store that settles appends in its own flush (SQLite): once stored, the change
   * is sent in that same job — no promise, queue task or await (issue 11.3) — unless something
   * is queued in the room's order before it (a compaction, a reload, a change whose onChange
   * hook answered with a promise): it is then sent from the order, after them. Either way
   * changes are sent in the order they were appended, refusals and hooks as on the other path.
   */
  #appendThen(
    store: SettlingStore,
    captured: Uint8Array[],
    transactions: Y.Transaction[],
    echo: boolean,
    origin: Peer | null,
  ): Outcome {
    const outcome = new Outcome()
    const hooks = this.#hooks
    const payload =
      hooks.onChange || hooks.onStore
        ? new Change(this.name, this.ref, captured, originOf(origin), transactions)
        : null
    let changed: Promise<void> | null = null
    // onChange is told after the append, as on the other path; should the store settle it before
    // (a hook that flushed), it is sent from the order, after the hook.
    let told = false
    // Settled once. A store that threw and then calls back broke appendThen's contract: the
    // change was refused, sent to no one, yet stored (a reload serves it): rather than let peers
    // diverge, the room breaks and they reconnect to a fresh load (issue 11 review, F2).
    let done = false
    this.#unsettled++
    const settled = (error: Error | null, lastSeq: number): void => {
      if (done) {
        if (error !== null || this.#broken) return
        try {
          this.#breakDown(new Error('store stored a change it had refused (appendThen threw)'))
        } catch (unexpected) {
          // Never into the store's flush (the other rooms' settlements follow).
          this.#log.error('room break-down failed', {
            room: this.name,
            error: unexpected instanceof Error ? unexpected.message : String(unexpected),
          })
        }
        return
      }
      done = true
      try {
        // Decided now (settlements come in append order), not when a late task runs: by then
        // the reload an earlier refusal queued may have reset #failed (issue 11 review, F1).
        const onTop = error === null && this.#failed ? this.#onTopOfRefused() : null
        if (told && changed === null && this.#tasks === 0) {
          const refused = error ? this.#refusal(error) : onTop
          if (refused) outcome.settle(refused)
          else {
            this.#record(lastSeq, captured.length)
            this.#deliver(captured, echo ? null : origin, transactions, payload, lastSeq)
            if (this.#sinceSnapshot < this.#compactAt) outcome.settle()
            else {
              // Delivered already: settled well whatever the compaction does (F4).
              const stored = () => outcome.settle()
              this.#run(() => this.#compactPeriodically()).then(stored, stored)
            }
          }
        } else {
          let refused = onTop
          const late = this.#run(async () => {
            if (refused) throw refused
            this.#record(lastSeq, captured.length)
            if (changed) await changed
            this.#deliver(captured, echo ? null : origin, transactions, payload, lastSeq)
            if (this.#sinceSnapshot >= this.#compactAt) await this.#compactPeriodically()
          })
          // After its task: the reload the refusal queues comes after it, as on the other path.
          if (error) refused = this.#refusal(error)
          late.then(
            () => outcome.settle(),
            (refused: unknown) => outcome.settle(refused),
          )
        }
      } catch (unexpected) {
        // Never into the store's flush (the other rooms' settlements follow): the connection
        // reports it, as a failed task would be.
        outcome.settle(unexpected)
      } finally {
        this.#settledOne()
      }
    }
    try {
      store.appendThen(this.name, captured, settled)
    } catch (error) {
      // A store that threw instead of calling back stored nothing: refused, as a failed append.
      // If it called back before throwing, that settlement stands (and the hook is told below).
      if (!done) {
        done = true
        this.#settledOne()
        outcome.settle(this.#refusal(error as Error))
        return outcome
      }
    }
    changed = payload && hooks.onChange ? this.#hook('onChange', hooks.onChange, payload) : null
    told = true
    return outcome
  }

  /** One change handed to appendThen is settled: idle() may resolve. */
  #settledOne(): void {
    if (--this.#unsettled === 0 && this.#onSettled) {
      const resolve = this.#onSettled
      this.#onSettled = null
      this.#settledAll = null
      resolve()
    }
  }

  /** The store refused a change: it is sent to no one, and the room reloads from storage. */
  #refusal(error: Error): StorageError {
    this.#storeFailed()
    return new StorageError(`could not store update: ${error.message}`)
  }

  /** A change is stored as `lastSeq`: null if it may be sent, else why not. */
  #accept(lastSeq: number, count: number): StorageError | null {
    if (this.#failed) return this.#onTopOfRefused()
    this.#record(lastSeq, count)
    return null
  }

  /** An earlier change was refused since this one was applied: it was applied on top of it. */
  #onTopOfRefused(): StorageError {
    return new StorageError('room unavailable: storage failed, reloading')
  }

  #record(lastSeq: number, count: number): void {
    // Another node's later entries may have been applied already: lastSeq never goes back.
    this.#lastSeq = Math.max(this.#lastSeq, lastSeq)
    this.#sinceSnapshot += count
  }

  /** Send a stored change, then tell onStore. */
  #deliver(
    captured: Uint8Array[],
    except: Peer | null,
    transactions: Y.Transaction[],
    payload: Change | null,
    lastSeq: number,
  ): void {
    this.#fanOut(captured, except, transactions)
    const onStore = this.#hooks.onStore
    if (payload && onStore) {
      const firstSeq = lastSeq - captured.length + 1
      void this.#hook('onStore', onStore, new StoredChange(payload, firstSeq, lastSeq))
    }
  }

  /**
   * `fn` threw (refused update): the doc may hold part of it. A store that can load at once
   * (SQLite) rebuilds it before the next frame; others refuse changes until the rebuild.
   */
  #rollBack(): void {
    const store = this.#store
    if (!store.loadNow) {
      this.#storeFailed()
      return
    }
    let loaded: LoadedDoc
    try {
      loaded = buildDoc(store.loadNow(this.name))
    } catch (error) {
      this.#breakDown(error)
      return
    }
    this.#replaceDoc(loaded)
  }

  /** Not stored, so not sent: forget it in memory too, once what is in flight has settled. */
  #storeFailed(): void {
    if (this.#failed) return
    this.#failed = true
    void this.#run(() => this.#reload())
  }

  /**
   * A hook's failure is logged; it never reaches the client nor stops the broadcast. A hook that
   * answered synchronously (the relay's own: the board's gate) costs no promise (issue 11.3: a
   * promise and a microtask per stored change). Called here, so that a hook that throws is
   * caught as one that rejects (issue 11 review, F5); the function and its payload are passed
   * rather than a closure: none per change.
   */
  #hook<P>(
    name: string,
    hook: (payload: P) => void | Promise<void>,
    payload: P,
  ): Promise<void> | null {
    let result: void | Promise<void>
    try {
      result = hook.call(this.#hooks, payload)
    } catch (error) {
      this.#hookFailed(name, error)
      return null
    }
    if (!(result instanceof Promise)) return null
    return result.catch((error: unknown) => this.#hookFailed(name, error))
  }

  #hookFailed(name: string, error: unknown): void {
    this.#log.error('room hook failed', {
      room: this.name,
      hook: name,
      error: error instanceof Error ? error.message : String(error),
    })
  }

  /**
   * The change is already stored and sent: a compaction failure is not the fault of the client
   * whose update triggered it, and loses nothing (the log is intact). Report it and try again
   * `compactEvery` updates later rather than on every update.
   */
  async #compactPeriodically(): Promise<void> {
    try {
      await this.#compactNow('periodic')
    } catch (error) {
      this.#compactAt = this.#sinceSnapshot + this.#compactEvery
      this.#log.error('compaction failed', {
        room: this.name,
        why: 'periodic',
        error: (error as Error).message,
      })
    }
  }

  /**
   * Rebuild the doc from storage. If that fails too, the room must not go on with the old doc
   * (it may hold part of the refused change, and a destroyed doc silently swallows later
   * updates): it is marked broken and handed to its owner, which closes its connections so
   * they reconnect to a fresh load once storage is back.
   */
  async #reload(): Promise<void> {
    if (this.#broken) return
    let loaded: LoadedDoc
    try {
      loaded = await loadDoc(this.#store, this.name)
    } catch (error) {
      this.#breakDown(error)
      return
    }
    // Broken meanwhile (see #appendThen): its doc is destroyed and nobody is served from it.
    if (this.#broken) {
      loaded.doc.destroy()
      return
    }
    this.#replaceDoc(loaded)
  }

  #breakDown(error: unknown): void {
    this.#broken = true
    this.#log.error('room reload failed, closing its connections', {
      room: this.name,
      error: (error as Error).message,
    })
    this.#onBroken(this)
  }

  #replaceDoc(loaded: LoadedDoc): void {
    this.doc.destroy()
    this.doc = loaded.doc
    this.#lastSeq = loaded.lastSeq
    this.#sinceSnapshot = loaded.pending
    this.#loaded(loaded)
    this.#failed = false
    this.#log.warn('room reloaded from storage after a failed update', { room: this.name })
  }

  /**
   * Apply an update from a writable connection. Throws ProtocolError if it is not valid Yjs and
   * SchemaRefusal if it breaks an item beyond repair (nothing of it is kept then). Parts that can
   * never integrate are cut out (never kept, stored or served) and reported in the result, as are
   * fields the relay repaired; the rest of the update is stored and passed on.
   */
  applyClientUpdate(update: Uint8Array, origin: Peer): ApplyResult {
    const structs = checkUpdate(update)
    const result = new ApplyResult()
    result.outcome = this.#change(
      (doc) =>
        doc.transact((tr) => {
          // Y.applyUpdate, reading from a decoder we keep: Yjs ignores bytes after the delete
          // set, and an update with any is never passed on as sent (they would be stored and
          // broadcast unchecked).
          const decoder = decoding.createDecoder(update)
          try {
            Y.readUpdate(decoder, doc, origin)
          } catch (error) {
            throw new ProtocolError(`Yjs update failed to apply: ${(error as Error).message}`)
          }
          result.dropped = dropPending(doc)
          const repairs = checkSchema(this.ref.doc, doc, tr)
          if (repairs.length > 0) result.repairs = repairs
          // Integrated whole, every struct new and none deleted by the update itself, nothing
          // repaired, nothing after the delete set: the client's bytes say exactly
          // what changed, so they are stored and sent as they are and Yjs need not encode the
          // transaction again (stock y-websocket re-encodes every update). Else Yjs's encoding
          // of the transaction (what integrated, with the repairs) is captured as before.
          if (
            result.dropped === null &&
            repairs.length === 0 &&
            !decoding.hasContent(decoder) &&
            allNew(structs, tr) &&
            !deletesOwnStructs(tr)
          )
            this.#captured?.push(update)
          // Else Yjs encodes it: it looks for an 'update' listener only once the transaction
          // ends, so listening from here on captures this transaction and any its observers
          // start (one listener less to add and remove per keystroke, issue 11.3).
          else doc.on('update', this.#capture)
          return repairs.length > 0
        }, origin),
      origin,
      false,
    )
    return result
  }

  /**
   * A change authored by the relay itself (e.g. the directory of members): applied at once,
   * settled once stored and sent (rejects with StorageError if it was not stored).
   */
  changeByRelay(fn: (doc: Y.Doc) => void): Promise<void> {
    return this.#change((doc) => {
      doc.transact(() => fn(doc), 'relay')
      return false
    }, null).promise
  }

  /**
   * Sync step 2 for a client's state vector; never from a doc storage could not rebuild.
   * `to`: the peer it is for. Updates still waiting for the readers' merged send are in the doc,
   * so in this answer: they go to the other readers now, not to this one a second time.
   */
  diffFor(stateVector: Uint8Array, to: Peer | null = null): Uint8Array {
    if (this.#broken) throw new StorageError('room unavailable: storage failed')
    // Serve only what is durable: the changes of this group-commit window are committed first.
    if (this.#store.flush && !this.#store.flush())
      throw new StorageError('room unavailable: could not store pending changes')
    if (this.#failed) throw new StorageError('room unavailable: storage failed, reloading')
    if (to && to.access !== 'write' && this.#forReaders.length > 0) {
      if (this.#readerTimer) clearTimeout(this.#readerTimer)
      this.#flushReaders(to)
    }
    // Computed once while the doc is unchanged (issue 11.3, connects): see SyncAnswers.
    return this.#answers.diff(this.doc, stateVector)
  }

  stateVector(): Uint8Array {
    if (this.#broken) throw new StorageError('room unavailable: storage failed')
    return this.#answers.stateVector(this.doc)
  }

  /**
   * Apply the presence entries `origin` may speak for: it may write the doc, every `user.name` it
   * shows is its token's name, and the ids are ones it announced first (or, for the same member,
   * took over from an older connection), at most MAX_AWARENESS_CLIENTS of them. Anything else,
   * and oversized frames, is dropped with a rate-limited log line, so nobody can fake or erase
   * someone else's presence, appear under another name, or make the relay amplify a big frame.
   * Throws ProtocolError if the update is not a valid awareness update.
   */
  applyAwareness(update: Uint8Array, origin: Peer): void {
    if (update.byteLength > MAX_AWARENESS_BYTES) {
      this.#dropPresence(origin, 'awareness update too big', update.byteLength)
      return
    }
    const entries = decodeAwarenessUpdate(update)
    const kept: AwarenessEntry[] = []
    for (const entry of entries) {
      const refusal = this.#claimPresence(origin, entry)
      if (refusal === null) kept.push(entry)
      else if (refusal !== 'noop') this.#dropPresence(origin, refusal, update.byteLength)
    }
    if (kept.length === 0) return
    try {
      applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(kept), origin)
    } catch (error) {
      throw new ProtocolError(`awareness update failed to apply: ${(error as Error).message}`)
    }
  }

  /**
   * null if `peer` may apply `entry` (claiming its id if new), 'noop' to skip it quietly, else
   * why not.
   */
  #claimPresence(peer: Peer, { clientId, clock, state, value }: AwarenessEntry): string | null {
    const owner = this.#presenceOwner.get(clientId)
    // y-websocket clients echo every presence they receive (and answer query-awareness with all
    // of them). Such entries are not newer than what the relay has, so y-protocols would ignore
    // them: skip them quietly, and never let them claim an id (e.g. one whose owner just left).
    // Checked first so that readers' and champions' echoes of others' states (other names,
    // other ids) are not mistaken for attempts and logged.
    const current = this.awareness.meta.get(clientId)?.clock ?? 0
    const removesCurrent =
      clock === current && state === 'null' && this.awareness.states.has(clientId)
    if (clock <= current && !removesCurrent) return 'noop'
    // Removing a presence nobody announced changes nothing: not worth a slot or a log line.
    if (owner === undefined && state === 'null') return 'noop'
    // Presence is shown to the champions editing the doc (names, cursors): only those who may
    // edit it take part. Readers still receive everyone's presence.
    if (peer.access !== 'write') return 'read-only connection'
    // The studio shows `user.name` as the person's name: it must be the one the relay signed
    // into the token, or anyone could appear as anyone.
    const shown = presenceName(value)
    if (shown.named && (peer.memberName === undefined || shown.name !== peer.memberName))
      return 'user.name is not the token name'
    if (owner === peer) return null
    // The relay's Awareness treats its own id as local state and would keep renewing it.
    if (clientId === this.awareness.clientID) return 'client id reserved'
    // A member reconnecting before its old socket is noticed dead keeps the same doc, hence
    // the same client id: its new connection takes it over. Anyone else is refused.
    const sameMember = owner?.member !== undefined && owner.member === peer.member
    if (owner !== undefined && !sameMember) return 'client id owned by another connection'
    const mine = this.#presenceRecord(peer)
    if (mine.ids.size >= MAX_AWARENESS_CLIENTS) return 'too many client ids'
    if (owner !== undefined) this.#presence.get(owner)?.ids.delete(clientId)
    mine.ids.add(clientId)
    this.#presenceOwner.set(clientId, peer)
    return null
  }

  #presenceRecord(peer: Peer): PresenceRecord {
    let record = this.#presence.get(peer)
    if (!record) {
      record = { ids: new Set(), dropped: 0, loggedAt: null }
      this.#presence.set(peer, record)
    }
    return record
  }

  /** One line for the first refusal, then at most one per interval counting the rest. */
  #dropPresence(peer: Peer, reason: string, bytes: number): void {
    const record = this.#presenceRecord(peer)
    record.dropped++
    const now = Date.now()
    if (record.loggedAt !== null && now - record.loggedAt < DROP_LOG_INTERVAL_MS) return
    this.#log.warn('dropped awareness', {
      conn: peer.id,
      room: this.name,
      member: peer.member,
      reason,
      bytes,
      dropped: record.dropped,
    })
    record.loggedAt = now
    record.dropped = 0
  }

  /** Every known presence state, for a new or asking connection; null when there is none. */
  awarenessSnapshot(): Uint8Array | null {
    const ids = [...this.awareness.getStates().keys()]
    return ids.length > 0 ? encodeAwareness(encodeAwarenessUpdate(this.awareness, ids)) : null
  }

  #onAwareness({ added, updated, removed }: AwarenessChange, origin: unknown): void {
    const peer =
      origin instanceof Object && this.peers.has(origin as Peer) ? (origin as Peer) : null
    const changed = [...added, ...updated, ...removed]
    if (changed.length === 0) return
    const update = encodeAwarenessUpdate(this.awareness, changed)
    this.broadcast(encodeAwareness(update), peer)
    // Other nodes time presence out on their own ('timeout'); what came from them stays here.
    if (this.publishAwareness && origin !== REMOTE && origin !== 'timeout')
      this.publishAwareness(update)
  }

  /** Presence another node's connections published: to every peer here, never back. */
  applyRemoteAwareness(update: Uint8Array): void {
    applyAwarenessUpdate(this.awareness, update, REMOTE)
  }

  /**
   * Updates another node stored (so durable already): applied and sent to every peer here.
   * With `diff`, only what this doc lacked is sent (a resync after a snapshot).
   */
  applyRemote(updates: readonly Uint8Array[], lastSeq: number, diff = false): void {
    if (this.#broken) return
    const before = diff ? Y.encodeStateVector(this.doc) : null
    const transactions: Y.Transaction[] = []
    this.#remote = true
    try {
      this.doc.transact((tr) => {
        transactions.push(tr)
        for (const update of updates) Y.applyUpdate(this.doc, update, REMOTE)
      }, REMOTE)
    } finally {
      this.#remote = false
    }
    this.#lastSeq = Math.max(this.#lastSeq, lastSeq)
    if (before) {
      const missing = Y.encodeStateAsUpdate(this.doc, before)
      this.#fanOut([missing], null, transactions)
    } else this.#fanOut(updates, null, transactions)
  }

  /** Another node compacted entries this one never read: merge everything stored. */
  resyncFrom(stored: StoredDoc): void {
    const parts = stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates
    this.applyRemote(parts, stored.lastSeq, true)
  }

  /** Stored updates: to writers at once, to readers merged on the room's one timer. */
  #fanOut(
    updates: readonly Uint8Array[],
    except: Peer | null,
    changes: readonly Y.Transaction[],
  ): void {
    // A champion typing alone to employees: no frame to encode for anyone at once.
    if (othersThan(this.#atOnce, except) > 0)
      for (const update of updates) {
        const frame = encodeSync(SYNC_UPDATE, update)
        for (const peer of this.#atOnce) if (peer !== except) peer.send(frame)
      }
    for (const peer of this.#notified)
      if (peer !== except && (!peer.wants || peer.wants(changes))) peer.send(NOTIFY_FRAME)
    // Nobody to merge for (a room of champions): no merge, no timer.
    if (othersThan(this.#merged, except) === 0 && this.#forReaders.length === 0) return
    this.#forReaders.push(...updates)
    if (this.#readerTimer === null) {
      this.#readerTimer = setTimeout(() => this.#flushReaders(), this.#coalesceMs)
      this.#readerTimer.unref()
    }
  }

  #flushReaders(except: Peer | null = null): void {
    this.#readerTimer = null
    const pending = this.#forReaders
    this.#forReaders = []
    if (pending.length === 0) return
    const merged = pending.length === 1 ? (pending[0] as Uint8Array) : Y.mergeUpdates(pending)
    const frame = encodeSync(SYNC_UPDATE, merged)
    for (const peer of this.#merged) if (peer !== except) peer.send(frame)
  }

  broadcast(frame: Uint8Array, except: Peer | null): void {
    for (const peer of this.peers) if (peer !== except && !peer.notifyOnly) peer.send(frame)
  }

  addPeer(peer: Peer): void {
    this.peers.add(peer)
    if (peer.notifyOnly) this.#notified.add(peer)
    else if (this.#coalesceMs <= 0 || peer.access === 'write') this.#atOnce.add(peer)
    else this.#merged.add(peer)
    const onConnect = this.#hooks.onConnect
    if (onConnect)
      void this.#hook('onConnect', onConnect, {
        room: this.name,
        ref: this.ref,
        peerId: peer.id,
        member: peer.member,
        access: peer.access,
      })
  }

  removePeer(peer: Peer): void {
    this.peers.delete(peer)
    this.#atOnce.delete(peer)
    this.#merged.delete(peer)
    this.#notified.delete(peer)
    const record = this.#presence.get(peer)
    this.#presence.delete(peer)
    if (!record || record.ids.size === 0) return
    for (const id of record.ids) this.#presenceOwner.delete(id)
    // Ids taken over by a newer connection were moved out of `record`, so they stay.
    removeAwarenessStates(this.awareness, [...record.ids], 'disconnect')
  }

  /** Whether an unload should fold the stored log (see UNLOAD_COMPACT_MIN). */
  get worthCompacting(): boolean {
    return this.#mustCompact || this.#sinceSnapshot >= UNLOAD_COMPACT_MIN
  }

  /**
   * Fold the stored log into one snapshot, from what the store holds (not this doc: another
   * node's updates may be stored that this one never saw), once what is in flight is stored.
   */
  compact(why: 'periodic' | 'unload' | 'shutdown'): Promise<void> {
    // Queued once the changes awaiting their store are settled (and sent): queued before, it
    // would run ahead of them, and they would then be sent after it.
    if (this.#unsettled > 0)
      return this.#allSettled().then(() => this.#run(() => this.#compactNow(why)))
    return this.#run(() => this.#compactNow(why))
  }

  async #compactNow(why: 'periodic' | 'unload' | 'shutdown'): Promise<void> {
    if (this.#sinceSnapshot === 0 || this.#broken || this.#failed) return
    const started = performance.now()
    const folding = this.#sinceSnapshot
    const { removedUpdates, snapshotBytes, uptoSeq } = await this.#store.compact(
      this.name,
      this.#lastSeq,
    )
    this.#sinceSnapshot = Math.max(0, this.#sinceSnapshot - folding)
    this.#mustCompact = false
    this.#compactAt = spread(this.#compactEvery)
    this.#log.info('room compacted', {
      room: this.name,
      why,
      uptoSeq,
      removedUpdates,
      snapshotBytes,
      ms: Math.round(performance.now() - started),
    })
  }

  destroy(): void {
    if (this.#readerTimer) clearTimeout(this.#readerTimer)
    this.#readerTimer = null
    this.#forReaders = []
    presenceTimeouts.forget(this.awareness)
    this.awareness.destroy()
    this.doc.destroy()
  }
}
