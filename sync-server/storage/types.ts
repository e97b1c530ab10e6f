import type { RoomRef } from '../../common/doc/rooms'

/**
 * The relay's storage seam (issue 11). Rooms only ever talk to a `DocStore`; the embedded
 * default is SQLite (`storage/sqlite/`), the multi-node backend Redis streams + PostgreSQL
 * snapshots (`storage/redis/`, `storage/postgres/`).
 *
 * Only the document log is pluggable here. The relational tables (workspaces, members, shares,
 * links, results) have their own asynchronous interfaces (persistence/relational.ts: SQLite or
 * storage/postgres/relational.ts), so the hot document path does not pay for them.
 *
 * Contract every implementation keeps:
 * - calls for one room take effect in call order (a per-room serial queue, see `SerialQueue`, or
 *   an ordered connection), and `append` resolves only once its updates are durable: a room
 *   broadcasts a change only after its append resolved;
 * - the store assigns sequence numbers (never the caller): with several nodes writing one room,
 *   only the store knows the next one;
 * - `compact` works from STORED data (snapshot + stored updates up to `uptoSeq`), never from a
 *   node's in-memory doc, so it cannot delete another writer's updates it never saw.
 */
export type StoredDoc = {
  snapshot: Uint8Array | null
  /** Seq of the last update folded into the snapshot (0 when none). */
  snapshotSeq: number
  /** Updates after the snapshot, in seq order. */
  updates: Uint8Array[]
  /** Highest seq stored for the room (snapshot or update). */
  lastSeq: number
}

export type CompactResult = {
  /** Updates folded into the snapshot and removed from the log. */
  removedUpdates: number
  snapshotBytes: number
  /** The seq the snapshot now covers (≤ the one asked for: nothing beyond what was stored). */
  uptoSeq: number
}

export interface DocStore {
  load(room: string): Promise<StoredDoc>
  /**
   * Optional synchronous load (with every pending append committed first), for stores that can
   * (SQLite): a room then rolls a refused update back before its next frame. Without it, a room
   * refuses changes (StorageError) until its asynchronous rebuild is done.
   */
  loadNow?(room: string): StoredDoc
  /**
   * Optional: commit every pending append now; false if that failed (they are then rejected).
   * A room calls it before serving its doc to a new client (sync step 2), so what it serves is
   * durable even within a group-commit window.
   */
  flush?(): boolean
  /**
   * Append `updates` (in order) to the room's log; resolves with the seq the store gave the last
   * one (the first got `seq - updates.length + 1`) once they are durable. Rejects if they were
   * not stored (disk full, storage down): the caller must then not broadcast them.
   */
  append(room: string, updates: readonly Uint8Array[]): Promise<number>
  /**
   * Optional, for a store that makes appends durable in a flush of its own (SQLite's group
   * commit): `append` without a promise. `settled` is called exactly once, never during this
   * call: synchronously inside that flush, in append order across every room — a refusal the
   * store found at once (a counter it could not read) too — with the last seq (error null) or
   * with the reason nothing was stored, under the same contract as `append`'s promise. A room
   * then sends the change in the same job as the flush (issue 11.3: no promise, queue task or
   * await per change), and refuses one settled after a refusal of its room (it was applied on
   * top of the refused one). Once the store is closed nothing is pending, and the refusal comes
   * in a microtask. `settled` must not throw.
   * It never throws once it has queued the updates: a throw means nothing was queued and
   * `settled` will not be called (the room refuses the change). A store that threw and called
   * back anyway stored a change its room refused and sent to no one: the room then breaks
   * (its peers reconnect to a fresh load) rather than let them diverge.
   */
  appendThen?(room: string, updates: readonly Uint8Array[], settled: AppendSettled): void
  /**
   * Fold the stored snapshot and stored updates with seq ≤ `uptoSeq` into one snapshot, and
   * delete those updates, atomically: a crash in between leaves the old snapshot and log.
   */
  compact(room: string, uptoSeq: number): Promise<CompactResult>
  /** Updates currently in the room's log (tests, compaction policy). */
  countUpdates(room: string): Promise<number>
  /** Who may compact a room (or own a data dir) at a time. */
  readonly leases: LeaseProvider
  /**
   * Optional (several nodes on one store): follow what OTHER nodes append to `room` after
   * `afterSeq`, and their presence; returns the unsubscribe. A node's own appends are not fed back.
   */
  watch?(room: string, afterSeq: number, listener: RoomFeedListener): () => void
  /** Optional: hand a presence update to the other nodes holding `room` (never stored). */
  publishAwareness?(room: string, update: Uint8Array): void
  /** Flush what is pending and release resources; later calls reject. */
  close(): Promise<void>
}

/** How `DocStore.appendThen` reports an append: `error` null once stored, with its last seq. */
export type AppendSettled = (error: Error | null, lastSeq: number) => void

/** What a store that several nodes share feeds a room with (see DocStore.watch). */
export type RoomFeedListener = {
  /** Updates another node stored, in seq order; `lastSeq` is the seq of the last one. */
  updates(updates: Uint8Array[], lastSeq: number): void
  /** Entries were trimmed before this node read them: here is everything stored now. */
  resync(stored: StoredDoc): void
  /** A presence update from another node's connections. */
  awareness(update: Uint8Array): void
}

/**
 * A time-bounded exclusive right (Redis `SET NX PX` across nodes; in-process for SQLite, whose
 * data dir is already held by one process through its local lock file).
 */
export interface Lease {
  readonly key: string
  /** Extend by the lease's ttl; false if it was lost (expired and taken by someone else). */
  renew(): Promise<boolean>
  release(): Promise<void>
}

export interface LeaseProvider {
  /** The lease on `key` for `ttlMs`, or null if someone else holds it. */
  acquire(key: string, ttlMs: number): Promise<Lease | null>
}

/** Who caused a change: a connection (its id and member) or the relay itself. */
export type ChangeOrigin = { kind: 'peer'; peerId: number; member?: string } | { kind: 'relay' }

export type LoadPayload = { room: string; ref: RoomRef; lastSeq: number; pendingUpdates: number }
export type ConnectPayload = {
  room: string
  ref: RoomRef
  peerId: number
  member?: string
  access?: 'read' | 'write' | 'none'
}
/** One validated change (possibly several Yjs updates from one client frame). */
export type ChangePayload = {
  room: string
  ref: RoomRef
  updates: readonly Uint8Array[]
  origin: ChangeOrigin
  /**
   * Whether the change touched anything under the doc's root maps named (true when unknown):
   * hooks that watch a few roots skip the rest (issue 11.3). Absent: assume it did.
   */
  touches?(roots: readonly string[]): boolean
}
export type StorePayload = ChangePayload & { firstSeq: number; lastSeq: number }

/**
 * Extension points a room calls, in the spirit of Hocuspocus extensions; every hook is optional
 * and may be async.
 * - onLoad: after a room's doc was built from storage, before anyone is served from it.
 * - onConnect: a peer joined a loaded room.
 * - onChange: after validation, once the append is handed to the store (not awaited by it, and
 *   told nothing of its outcome): awaited before broadcast; throwing refuses nothing already
 *   applied (log only) — it is for observers (click tracking, boards).
 * - onStore: after the durable append, not awaited by the broadcast.
 * Hook errors, thrown or rejected, are logged and never reach the client.
 */
export type RoomHooks = {
  onLoad?(payload: LoadPayload): void | Promise<void>
  onConnect?(payload: ConnectPayload): void | Promise<void>
  onChange?(payload: ChangePayload): void | Promise<void>
  onStore?(payload: StorePayload): void | Promise<void>
}

/**
 * Runs async tasks one after another (per room): what a store that has no ordered connection
 * uses to keep call order, and what a room uses to broadcast in append order.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const next = this.#tail.then(task, task)
    // The queue goes on after a failure; the caller sees it through `next`.
    this.#tail = next.catch(() => {})
    return next
  }

  /** Resolves once everything queued so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => {})
  }
}
