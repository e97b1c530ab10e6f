import { randomBytes, randomUUID } from 'node:crypto'
import Redis, { type RedisOptions } from 'ioredis'
import type { Logger } from '../../log'
import { PgSnapshots } from '../postgres/snapshots'
import { foldUpdates } from '../sqlite/doc-store'
import type {
  CompactResult,
  DocStore,
  Lease,
  LeaseProvider,
  RoomFeedListener,
  StoredDoc,
} from '../types'

/** The multi-node backend could not be reached at start: one line for the operator. */
export class StorageStartError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StorageStartError'
  }
}

/*
 * Keys, with the room in a hash tag so that one room's keys live on one Redis Cluster slot:
 *   pv:{room}:s   the room's update stream; entry id `0-<seq>`, fields n (node), t (the node's
 *                 clock at append, ms: stream lag) and u (update)
 *   pv:{room}:n   the room's last assigned seq
 *   pv:{room}:l   the room's compaction lease
 *   pv:{room}:a   pub/sub channel for presence
 *   pv:wake:<node> a node's own stream, written to interrupt its blocking XREAD
 */
const streamKey = (room: string) => `pv:{${room}}:s`
const counterKey = (room: string) => `pv:{${room}}:n`
const leaseKey = (room: string) => `pv:{${room}}:l`
/**
 * The erasure purge's lease, and the start (Redis's clock, µs) of the last purge that COMPLETED
 * (its rewrite finished with status ok; purgeRedisFiles).
 */
const PURGE_LEASE = 'pv:purge:l'
const PURGE_LEASE_MS = 60_000
/** How long a purge waits for Redis's rewrite or save fork before calling it unfinished. */
const FORK_DEADLINE_MS = 10 * 60_000
const PURGE_DONE = 'pv:purge:done'
const presenceChannel = (room: string) => `pv:{${room}}:a`
const PRESENCE_PREFIX = /^pv:\{(.*)\}:a$/

/**
 * One append = consecutive seqs from the room's counter and one stream entry per update, atomic.
 * The counter missing means Redis lost its data: refuse, so the room reloads (and re-seeds it
 * from PostgreSQL) rather than reuse seqs a snapshot already covers.
 */
const APPEND = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  return redis.error_reply('SEQLOST room sequence unknown, reload')
end
local n = #ARGV - 2
local last = redis.call('INCRBY', KEYS[2], n)
local first = last - n + 1
for i = 1, n do
  redis.call('XADD', KEYS[1], string.format('0-%d', first + i - 1), 'n', ARGV[1], 't', ARGV[2], 'u', ARGV[i + 2])
end
return last`

/** Make the counter at least ARGV[1] (the highest seq known from PostgreSQL and the stream). */
const SEED = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`

/** Delete or extend the lease only if we still hold it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`

type StoreRedis = Redis & {
  pvAppend(
    stream: string,
    counter: string,
    node: string,
    at: number,
    ...updates: Buffer[]
  ): Promise<number>
  pvSeed(counter: string, seq: number): Promise<number>
  pvRelease(key: string, token: string): Promise<number>
  pvRenew(key: string, token: string, ttlMs: number): Promise<number>
}

function defineScripts(redis: Redis): StoreRedis {
  redis.defineCommand('pvAppend', { numberOfKeys: 2, lua: APPEND })
  redis.defineCommand('pvSeed', { numberOfKeys: 1, lua: SEED })
  redis.defineCommand('pvRelease', { numberOfKeys: 1, lua: RELEASE })
  redis.defineCommand('pvRenew', { numberOfKeys: 1, lua: RENEW })
  return redis as StoreRedis
}

type Entry = { seq: number; node: string; at: number; update: Uint8Array }
type RawEntry = [Buffer, Buffer[]]

function seqOf(id: Buffer | string): number {
  const text = id.toString()
  const dash = text.indexOf('-')
  return Number(text.slice(dash + 1))
}

/**
 * Whether an entry is `node`'s (its n field), read without decoding the entry: a node reads its
 * own appends back from the stream with everyone else's and skips them.
 */
function writtenBy([, fields]: RawEntry, node: Buffer): boolean {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as Buffer
    if (name.length === 1 && name[0] === 0x6e) return node.equals(fields[i + 1] as Buffer)
  }
  return false
}

function parseEntry([id, fields]: RawEntry): Entry {
  let node = ''
  let at = 0
  let update = new Uint8Array()
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = (fields[i] as Buffer).toString()
    const value = fields[i + 1] as Buffer
    if (name === 'n') node = value.toString()
    else if (name === 't') at = Number(value.toString())
    else if (name === 'u') update = new Uint8Array(value)
  }
  return { seq: seqOf(id), node, at, update }
}

class RedisLeases implements LeaseProvider {
  readonly #redis: StoreRedis
  constructor(redis: StoreRedis) {
    this.#redis = redis
  }

  async acquire(key: string, ttlMs: number): Promise<Lease | null> {
    const token = randomUUID()
    const ok = await this.#redis.set(key, token, 'PX', ttlMs, 'NX')
    if (ok !== 'OK') return null
    const redis = this.#redis
    return {
      key,
      renew: async () => (await redis.pvRenew(key, token, ttlMs)) === 1,
      release: async () => {
        await redis.pvRelease(key, token)
      },
    }
  }
}

type Watch = { cursor: number; listener: RoomFeedListener; busy: boolean }

/**
 * What is stored for a loaded room, kept in memory so that `loadNow` can rebuild the room at
 * once after a refused update (as SQLite does), instead of refusing every writer's changes
 * until an asynchronous reload. Costs a second copy of the updates since the last snapshot.
 */
type Cached = { snapshot: Uint8Array | null; snapshotSeq: number; updates: Map<number, Uint8Array> }

export type RedisDocStoreOptions = {
  redisUrl: string
  postgresUrl: string
  log: Logger
  /** How long a compaction may hold a room's lease (it renews nothing: compactions are short). */
  compactLeaseMs?: number
  /** How old the newest entry from another node was when this node fanned it out (metrics). */
  onLag?: (node: string, seconds: number) => void
  /** The erasure purge's clock and waits, replaceable by tests (defaults: Date.now, timers). */
  purgeTiming?: PurgeTiming
}

/**
 * What the Redis purge waits by: `now` (ms) for its fork deadline and lease renewals; `wait`
 * between its asks for a fork while another is in progress (`ask`) and between its polls of the
 * fork it asked for (`poll`). Tests replace them to act between two steps without real waits.
 */
export type PurgeTiming = {
  now?: () => number
  wait?: (ms: number, step: 'ask' | 'poll') => Promise<void>
}

/** How a Redis purge ended: `unfinished` records nothing (the next purge runs it again). */
export type RedisPurgeOutcome = 'complete' | 'unfinished' | 'skipped'

const timerWait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref())

/**
 * The multi-node DocStore: updates go to a Redis stream per room (the store-assigned seq is the
 * entry id `0-<seq>`), snapshots to PostgreSQL. An append resolves once Redis answered the
 * script that added it (with `appendfsync always`, once it is on Redis's disk); appends of one
 * event-loop turn leave in one socket write (#batchTurn) and Redis fsyncs them together.
 * While Redis cannot be reached, appends reject at once (no offline queue): the room refuses the
 * change, its clients keep it and send it again once they reconnect.
 *
 * Compaction (under a Redis lease) folds PostgreSQL's snapshot and the stream's entries into a
 * new snapshot, commits it in PostgreSQL, and only then trims the stream up to it; a crash in
 * between leaves both, and load skips entries the snapshot covers.
 *
 * Every node reads the streams of the rooms it holds on one dedicated connection (one XREAD
 * BLOCK for all of them) and feeds other nodes' entries to its rooms; presence goes through
 * pub/sub and is never stored.
 */
export class RedisDocStore implements DocStore {
  readonly leases: LeaseProvider
  /** This process among the nodes: its own entries are not fed back to it. */
  readonly nodeId = randomBytes(6).toString('hex')
  readonly #redis: StoreRedis
  readonly #reader: Redis
  readonly #sub: Redis
  readonly #pg: PgSnapshots
  readonly #log: Logger
  readonly #leaseMs: number
  readonly #onLag: ((node: string, seconds: number) => void) | undefined
  readonly #purgeNow: () => number
  readonly #purgeWait: (ms: number, step: 'ask' | 'poll') => Promise<void>
  readonly #watches = new Map<string, Watch>()
  readonly #cache = new Map<string, Cached>()
  /** Appends sent and not yet answered, per room, in call order (part of what loadNow serves). */
  readonly #pending = new Map<string, Set<readonly Uint8Array[]>>()
  readonly #wakeKey: string
  readonly #nodeBytes = Buffer.from(this.nodeId)
  #closed = false
  /** The store connection's socket is corked until this turn's setImmediate (#batchTurn). */
  #corked = false
  /** The last connection error, for a start failure's message. */
  #lastError = ''
  #readerLoop: Promise<void> | null = null
  #readerWaiting: (() => void) | null = null

  private constructor(o: RedisDocStoreOptions) {
    this.#log = o.log
    this.#leaseMs = o.compactLeaseMs ?? 30_000
    this.#onLag = o.onLag
    this.#purgeNow = o.purgeTiming?.now ?? Date.now
    this.#purgeWait = o.purgeTiming?.wait ?? timerWait
    this.#wakeKey = `pv:wake:${this.nodeId}`
    const retryStrategy = (times: number) => Math.min(50 * times, 1_000)
    const common: RedisOptions = { lazyConnect: true, retryStrategy, connectTimeout: 5_000 }
    // The store's connection never queues: a command while Redis is away fails at once, and
    // one in flight when the link drops is failed, not silently resent (the room decides).
    this.#redis = defineScripts(
      new Redis(o.redisUrl, {
        ...common,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        // Not ioredis's auto-pipelining: it costs a Pipeline object, a promise and a callback
        // hop per command (~50 µs of a writer node's CPU per edit, session 10); appends batch
        // their turn's writes themselves (#batchTurn).
        enableAutoPipelining: false,
        commandTimeout: 10_000,
      }),
    )
    this.#reader = new Redis(o.redisUrl, { ...common, maxRetriesPerRequest: null })
    this.#sub = new Redis(o.redisUrl, { ...common, maxRetriesPerRequest: null })
    for (const [name, connection] of [
      ['store', this.#redis],
      ['reader', this.#reader],
      ['presence', this.#sub],
    ] as const) {
      connection.on('error', (error: Error) => {
        this.#lastError = error.message
        this.#log.warn('redis connection error', { connection: name, error: error.message })
      })
    }
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.#onPresence(channel, message),
    )
    this.#pg = new PgSnapshots(o.postgresUrl, o.log)
    this.leases = new RedisLeases(this.#redis)
  }

  /** Connect to both and create PostgreSQL's table; StorageStartError if either is unreachable. */
  static async open(o: RedisDocStoreOptions): Promise<RedisDocStore> {
    const store = new RedisDocStore(o)
    try {
      await Promise.all([store.#redis.connect(), store.#reader.connect(), store.#sub.connect()])
      await store.#redis.ping()
    } catch (error) {
      store.#disconnect()
      await store.#pg.close().catch(() => {})
      throw new StorageStartError(
        `cannot reach Redis at ${redact(o.redisUrl)}: ${store.#lastError || (error as Error).message}`,
      )
    }
    try {
      await store.#pg.open()
    } catch (error) {
      store.#disconnect()
      await store.#pg.close().catch(() => {})
      throw new StorageStartError(
        `cannot reach PostgreSQL at ${redact(o.postgresUrl)}: ${(error as Error).message}`,
      )
    }
    return store
  }

  /**
   * Snapshot + stream entries after it. The stream is read FIRST: a compaction trims only
   * after its snapshot is committed, so whatever was trimmed by the time PostgreSQL is read is
   * in the snapshot it returns.
   */
  async load(room: string): Promise<StoredDoc> {
    if (this.#closed) throw new Error('store closed')
    const raw = (await this.#redis.xrangeBuffer(streamKey(room), '-', '+')) as RawEntry[]
    const snap = await this.#pg.get(room)
    const snapshotSeq = snap?.upto ?? 0
    const entries = raw.map(parseEntry).filter((e) => e.seq > snapshotSeq)
    const lastSeq = Math.max(snapshotSeq, entries.at(-1)?.seq ?? 0)
    const first = entries[0]
    if (first && first.seq !== snapshotSeq + 1)
      this.#log.error('room stream has a gap after its snapshot (Redis lost data?)', {
        room,
        snapshotSeq,
        firstSeq: first.seq,
      })
    await this.#redis.pvSeed(counterKey(room), lastSeq)
    this.#remember(room, snap?.snapshot ?? null, snapshotSeq, entries)
    return {
      snapshot: snap?.snapshot ?? null,
      snapshotSeq,
      updates: entries.map((e) => e.update),
      lastSeq,
    }
  }

  /** Merge stored data into the room's cache: the newer snapshot, every update after it. */
  #remember(
    room: string,
    snapshot: Uint8Array | null,
    snapshotSeq: number,
    entries: readonly { seq: number; update: Uint8Array }[],
  ): void {
    let cached = this.#cache.get(room)
    if (!cached) {
      cached = { snapshot: null, snapshotSeq: 0, updates: new Map() }
      this.#cache.set(room, cached)
    }
    if (snapshotSeq > cached.snapshotSeq || (snapshot && !cached.snapshot)) {
      cached.snapshot = snapshot
      cached.snapshotSeq = snapshotSeq
      for (const seq of cached.updates.keys()) if (seq <= snapshotSeq) cached.updates.delete(seq)
    }
    for (const { seq, update } of entries)
      if (seq > cached.snapshotSeq) cached.updates.set(seq, update)
  }

  /**
   * The room as stored, from memory, with this node's appends in flight after it (they are
   * applied in the room's doc already): a refused update is rolled back before the next frame.
   */
  loadNow(room: string): StoredDoc {
    const cached = this.#cache.get(room)
    if (!cached) throw new Error(`room ${room} is not loaded on this node`)
    const seqs = [...cached.updates.keys()].sort((a, b) => a - b)
    const updates = seqs.map((seq) => cached.updates.get(seq) as Uint8Array)
    for (const batch of this.#pending.get(room) ?? []) updates.push(...batch)
    return {
      snapshot: cached.snapshot,
      snapshotSeq: cached.snapshotSeq,
      updates,
      lastSeq: Math.max(cached.snapshotSeq, seqs.at(-1) ?? 0),
    }
  }

  async append(room: string, updates: readonly Uint8Array[]): Promise<number> {
    if (this.#closed) throw new Error('store closed')
    if (updates.length === 0) throw new Error('nothing to append')
    let pending = this.#pending.get(room)
    if (!pending) {
      pending = new Set()
      this.#pending.set(room, pending)
    }
    pending.add(updates)
    this.#batchTurn()
    try {
      const last = Number(
        await this.#redis.pvAppend(
          streamKey(room),
          counterKey(room),
          this.nodeId,
          Date.now(),
          ...updates.map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)),
        ),
      )
      if (this.#cache.has(room))
        this.#remember(
          room,
          null,
          0,
          updates.map((update, i) => ({ seq: last - updates.length + 1 + i, update })),
        )
      return last
    } finally {
      pending.delete(updates)
      if (pending.size === 0 && this.#pending.get(room) === pending) this.#pending.delete(room)
    }
  }

  /**
   * Hold the store connection's writes until this turn's I/O is handled (setImmediate): the
   * appends of one turn, every room's, leave in one socket write and Redis runs (and, with
   * `appendfsync always`, fsyncs) them together. Commands still go in call order on the one
   * connection; a link lost meanwhile fails them (no offline queue, no resend), as before.
   */
  #batchTurn(): void {
    if (this.#corked) return
    const socket = this.#redis.stream
    if (!socket?.writable) return
    this.#corked = true
    socket.cork()
    setImmediate(() => {
      this.#corked = false
      socket.uncork()
    })
  }

  async compact(room: string, uptoSeq: number): Promise<CompactResult> {
    const lease = await this.leases.acquire(leaseKey(room), this.#leaseMs)
    // Another node is compacting this room: its snapshot will cover (about) the same.
    if (!lease) return { removedUpdates: 0, snapshotBytes: 0, uptoSeq: 0 }
    try {
      // Same order as load (stream, then snapshot); under the lease nobody trims meanwhile.
      const raw = (await this.#redis.xrangeBuffer(
        streamKey(room),
        '-',
        `0-${uptoSeq}`,
      )) as RawEntry[]
      const snap = await this.#pg.get(room)
      const snapshotSeq = snap?.upto ?? 0
      const entries = raw.map(parseEntry).filter((e) => e.seq > snapshotSeq)
      const upto = entries.at(-1)?.seq ?? snapshotSeq
      let snapshotBytes = 0
      if (upto > snapshotSeq) {
        const snapshot = foldUpdates(
          {
            snapshot: snap?.snapshot ?? null,
            snapshotSeq,
            updates: entries.map((e) => e.update),
            lastSeq: upto,
          },
          room,
        )
        snapshotBytes = snapshot.byteLength
        await this.#pg.put(room, snapshot, upto)
        if (this.#cache.has(room)) this.#remember(room, snapshot, upto, [])
      }
      // Only now that PostgreSQL holds everything up to `upto`.
      const removedUpdates =
        upto > 0 ? Number(await this.#redis.xtrim(streamKey(room), 'MINID', `0-${upto + 1}`)) : 0
      return { removedUpdates, snapshotBytes, uptoSeq: upto }
    } finally {
      await lease.release().catch(() => {})
    }
  }

  async countUpdates(room: string): Promise<number> {
    return Number(await this.#redis.xlen(streamKey(room)))
  }

  watch(room: string, afterSeq: number, listener: RoomFeedListener): () => void {
    const watch: Watch = { cursor: afterSeq, listener, busy: false }
    this.#watches.set(room, watch)
    this.#sub
      .subscribe(presenceChannel(room))
      .catch((error: unknown) =>
        this.#log.warn('presence subscribe failed', { room, error: (error as Error).message }),
      )
    this.#wakeReader()
    return () => {
      if (this.#watches.get(room) !== watch) return
      this.#watches.delete(room)
      this.#cache.delete(room)
      if (!this.#closed) this.#sub.unsubscribe(presenceChannel(room)).catch(() => {})
      this.#wakeReader()
    }
  }

  publishAwareness(room: string, update: Uint8Array): void {
    // Presence is best effort: lost while Redis is away, renewed by clients every 15 s.
    const message = Buffer.concat([Buffer.from(this.nodeId), Buffer.from(update)])
    this.#redis.publish(presenceChannel(room), message).catch(() => {})
  }

  #onPresence(channel: Buffer, message: Buffer): void {
    const room = PRESENCE_PREFIX.exec(channel.toString())?.[1]
    if (room === undefined) return
    const node = message.subarray(0, this.nodeId.length).toString()
    if (node === this.nodeId) return
    const watch = this.#watches.get(room)
    if (!watch) return
    try {
      watch.listener.awareness(new Uint8Array(message.subarray(this.nodeId.length)))
    } catch (error) {
      this.#log.warn('presence from another node refused', {
        room,
        error: (error as Error).message,
      })
    }
  }

  /** Interrupt the reader's blocking XREAD so that it picks up a changed set of rooms. */
  #wakeReader(): void {
    if (this.#closed) return
    if (this.#readerWaiting) {
      const wake = this.#readerWaiting
      this.#readerWaiting = null
      wake()
    }
    if (!this.#readerLoop) {
      this.#readerLoop = this.#read()
      return
    }
    this.#redis.xadd(this.#wakeKey, 'MAXLEN', '1', '*', 'w', '1').catch(() => {})
  }

  /** One loop per node: XREAD BLOCK over every held room's stream (and the wake stream). */
  async #read(): Promise<void> {
    // The wake stream is this node's own: read from its start, so no wake is ever missed.
    let wakeId = '0-0'
    let failures = 0
    while (!this.#closed) {
      if (this.#watches.size === 0) {
        await new Promise<void>((resolve) => {
          this.#readerWaiting = resolve
        })
        continue
      }
      const rooms = [...this.#watches.keys()]
      const keys = [this.#wakeKey, ...rooms.map(streamKey)]
      const ids = [wakeId, ...rooms.map((r) => `0-${this.#watches.get(r)?.cursor ?? 0}`)]
      let result: [Buffer, RawEntry[]][] | null
      try {
        result = (await this.#reader.xreadBuffer(
          'COUNT',
          1000,
          'BLOCK',
          10_000,
          'STREAMS',
          ...keys,
          ...ids,
        )) as [Buffer, RawEntry[]][] | null
        failures = 0
      } catch (error) {
        if (this.#closed) return
        if (failures++ === 0)
          this.#log.warn('stream read failed, retrying', { error: (error as Error).message })
        await new Promise((r) => setTimeout(r, Math.min(100 * failures, 1_000)))
        continue
      }
      if (!result) continue
      for (const [key, raw] of result) {
        const name = key.toString()
        if (name === this.#wakeKey) {
          const lastWake = raw.at(-1)
          if (lastWake) wakeId = lastWake[0].toString()
          continue
        }
        const room = name.slice('pv:{'.length, -'}:s'.length)
        const watch = this.#watches.get(room)
        if (watch) await this.#deliver(room, watch, raw)
      }
    }
  }

  async #deliver(room: string, watch: Watch, raws: RawEntry[]): Promise<void> {
    const others: Uint8Array[] = []
    let last = watch.cursor
    let newest: Entry | null = null
    for (const raw of raws) {
      const seq = seqOf(raw[0])
      if (seq <= last) continue
      if (seq !== last + 1) {
        // Trimmed before this node read them (another node compacted): take the stored state.
        if (others.length > 0) this.#feed(room, watch, others, last)
        others.length = 0
        await this.#resync(room, watch)
        if (this.#watches.get(room) !== watch) return
        last = watch.cursor
        if (seq <= last) continue
      }
      last = seq
      if (!writtenBy(raw, this.#nodeBytes)) {
        const entry = parseEntry(raw)
        if (this.#cache.has(room)) this.#remember(room, null, 0, [entry])
        others.push(entry.update)
        newest = entry
      }
    }
    if (others.length > 0) this.#feed(room, watch, others, last)
    if (newest && this.#onLag) this.#onLag(newest.node, Math.max(0, Date.now() - newest.at) / 1000)
    watch.cursor = Math.max(watch.cursor, last)
  }

  #feed(room: string, watch: Watch, updates: Uint8Array[], lastSeq: number): void {
    try {
      watch.listener.updates(updates, lastSeq)
    } catch (error) {
      this.#log.error('applying another node update failed', {
        room,
        error: (error as Error).message,
      })
    }
    watch.cursor = Math.max(watch.cursor, lastSeq)
  }

  async #resync(room: string, watch: Watch): Promise<void> {
    for (let attempt = 1; !this.#closed && this.#watches.get(room) === watch; attempt++) {
      try {
        const stored = await this.load(room)
        watch.listener.resync(stored)
        watch.cursor = Math.max(watch.cursor, stored.lastSeq)
        return
      } catch (error) {
        if (attempt === 1)
          this.#log.warn('room resync failed, retrying', {
            room,
            error: (error as Error).message,
          })
        await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1_000)))
      }
    }
  }

  /**
   * After an erasure (a member deleted, their directory entry folded away by compaction, which
   * trimmed the stream entries that held it and replaced the room's PostgreSQL snapshot):
   * - Redis's AOF still holds the XADDs until it is rewritten: BGREWRITEAOF (the rewrite writes
   *   live entries only); an RDB file likewise until the next save: BGSAVE when saves are on;
   * - PostgreSQL's old snapshot rows are dead tuples until VACUUM (vacuumTables).
   * Not reached: an XTRIM that cuts a stream node in the middle flags its older entries deleted
   * but keeps their bytes in Redis's memory until the whole node is trimmed by a later compaction
   * (never written to a rewritten AOF or RDB); replicas and backups are the operator's.
   */
  async purgeErased(): Promise<void> {
    await this.purgeRedisFiles()
    await this.#pg.purgeErased(this.#log)
  }

  /**
   * Every node hears of an erasure and asks for a purge (review finding): the rewrite is asked
   * for under a lease (one node at a time) and skipped when a purge that started (Redis's clock)
   * after this node asked has COMPLETED: PURGE_DONE holds a purge's start time, written once its
   * AOF rewrite (and BGSAVE) finished with status ok (session 7 review finding: written at the
   * start, a node that died or a rewrite that failed midway left a marker saying it ran, and the
   * nodes waiting behind it skipped theirs). An unfinished purge records nothing: the next one
   * (a waiting node's, the next erasure's, the next start's) runs in full.
   */
  async purgeRedisFiles(): Promise<RedisPurgeOutcome> {
    const asked = await this.#redisNow()
    let lease: Lease | null = null
    for (let i = 0; i < 240 && !lease; i++) {
      lease = await this.leases.acquire(PURGE_LEASE, PURGE_LEASE_MS)
      if (!lease) await new Promise((r) => setTimeout(r, 250).unref())
    }
    if (!lease) {
      this.#log.warn('redis purge skipped: another node held its lease for a minute')
      return 'skipped'
    }
    try {
      if (Number((await this.#redis.get(PURGE_DONE)) ?? 0) > asked) {
        this.#log.info('redis purge skipped: another node rewrote since')
        return 'skipped'
      }
      const started = await this.#redisNow()
      let complete = true
      const info = String(await this.#redis.info('persistence'))
      if (/aof_enabled:1/.test(info)) complete = await this.#rewriteAof(lease)
      const saves = await this.#redis.config('GET', 'save').catch(() => null)
      const rdb = Array.isArray(saves) && typeof saves[1] === 'string' && saves[1].trim() !== ''
      if (rdb && complete) complete = await this.#save(lease)
      if (complete) await this.#redis.set(PURGE_DONE, String(started))
      else this.#log.warn('redis purge unfinished: the next purge runs it again')
      return complete ? 'complete' : 'unfinished'
    } finally {
      await lease.release()
    }
  }

  /** Redis's clock in µs (one clock for every node). */
  async #redisNow(): Promise<number> {
    const [seconds, micros] = await this.#redis.time()
    return Number(seconds) * 1_000_000 + Number(micros)
  }

  /**
   * BGREWRITEAOF, after any rewrite already running (it may have forked before the entries were
   * trimmed, and Redis refuses a second one meanwhile rather than queue it); true once a rewrite
   * started after the request has finished with status ok.
   */
  async #rewriteAof(lease: Lease): Promise<boolean> {
    const count = async () =>
      Number(/aof_rewrites:(\d+)/.exec(String(await this.#redis.info('persistence')))?.[1] ?? 0)
    const before = await count()
    if (!(await this.#askFork('BGREWRITEAOF', () => this.#redis.bgrewriteaof()))) return false
    const info = await this.#forkDone(
      lease,
      (now) => /aof_rewrite_in_progress:0/.test(now) && /aof_rewrite_scheduled:0/.test(now),
    )
    const ok =
      info !== null && /aof_last_bgrewrite_status:ok/.test(info) && (await count()) > before
    if (!ok) this.#log.warn('redis AOF rewrite did not complete')
    return ok
  }

  /**
   * BGSAVE (SCHEDULE: after a fork already running); true once a save made since finished with
   * status ok (rdb_saves counts them: a save merely scheduled behind another fork is waited for).
   */
  async #save(lease: Lease): Promise<boolean> {
    const saves = (info: string) => Number(/rdb_saves:(\d+)/.exec(info)?.[1] ?? 0)
    const before = saves(String(await this.#redis.info('persistence')))
    // A save already running (Debian's default `save` rules start them) holds the old bytes.
    if (!(await this.#askFork('BGSAVE', () => this.#redis.bgsave('SCHEDULE')))) return false
    const info = await this.#forkDone(
      lease,
      (now) => /rdb_bgsave_in_progress:0/.test(now) && saves(now) > before,
    )
    const ok = info !== null && /rdb_last_bgsave_status:ok/.test(info)
    if (!ok) this.#log.warn('redis BGSAVE did not complete')
    return ok
  }

  /**
   * Ask Redis for a fork (`ask`: BGREWRITEAOF, BGSAVE); while it answers that one is already in
   * progress, wait for it and ask again, every 500 ms for at most a minute. false (logged) when
   * refused otherwise or still busy after that.
   */
  async #askFork(command: string, ask: () => Promise<unknown>): Promise<boolean> {
    for (let attempt = 0; attempt < 120; attempt++) {
      try {
        await ask()
        return true
      } catch (error) {
        if (!/in progress/i.test((error as Error).message)) {
          this.#log.warn(`redis ${command} refused`, { error: (error as Error).message })
          return false
        }
        if (attempt === 0) this.#log.info(`redis ${command}: another fork in progress, waiting`)
        await this.#purgeWait(500, 'ask')
      }
    }
    this.#log.warn(`redis ${command}: another fork stayed in progress for a minute`)
    return false
  }

  /**
   * INFO persistence once `done` holds (the fork finished), renewing the purge's lease meanwhile:
   * a large AOF rewrites for longer than the lease. null (unfinished: the purge is redone later)
   * when the lease was lost, when Redis restarted meanwhile (its counters start again: `done`
   * could then never hold, or hold for another fork) or after FORK_DEADLINE_MS — a counter this
   * Redis does not report must not keep the lease, and every other node's purge, for ever.
   */
  async #forkDone(lease: Lease, done: (info: string) => boolean): Promise<string | null> {
    const runId = async () => /run_id:(\w+)/.exec(String(await this.#redis.info('server')))?.[1]
    const server = await runId()
    const started = this.#purgeNow()
    let renewed = started
    for (;;) {
      const info = String(await this.#redis.info('persistence'))
      if (done(info)) {
        if ((await runId()) === server) return info
        this.#log.warn('redis purge: Redis restarted while its fork ran')
        return null
      }
      if (this.#purgeNow() - started > FORK_DEADLINE_MS) {
        this.#log.warn('redis purge: the fork did not finish in time', {
          waitedMs: this.#purgeNow() - started,
        })
        return null
      }
      if (this.#purgeNow() - renewed > PURGE_LEASE_MS / 3) {
        if (!(await lease.renew()) || (await runId()) !== server) return null
        renewed = this.#purgeNow()
      }
      await this.#purgeWait(100, 'poll')
    }
  }

  #disconnect(): void {
    this.#redis.disconnect()
    this.#reader.disconnect()
    this.#sub.disconnect()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#watches.clear()
    this.#readerWaiting?.()
    this.#disconnect()
    await this.#readerLoop?.catch(() => {})
    await this.#pg.close().catch(() => {})
  }
}

/** A URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<invalid url>'
  }
}
