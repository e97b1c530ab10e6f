import type { WebSocket } from 'ws'
import { RELAY_CLOSE } from '../../common/doc/limits'
import { type Access, accessFor, type RoomRef, roomName } from '../../common/doc/rooms'
import type { TokenClaims } from '../../common/model/invitation'
import type { LogFields, Logger } from '../log'
import {
  type ClientMessage,
  decodeClientMessage,
  encodeSync,
  ProtocolError,
  SYNC_STEP1,
  SYNC_STEP2,
} from '../protocol/messages'
import { checkStateVector } from '../protocol/payloads'
import { SchemaRefusal } from '../validation'
import { type ApplyResult, type Room, StorageError } from './room'
import type { RoomManager } from './room-manager'

/** Close codes, all explained in the close reason and a log line. */
export const CLOSE = {
  goingAway: 1001,
  unsupportedData: 1003,
  tooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  /** 4400–4499: the client sent something that reconnecting will not fix (y-websocket won't retry). */
  malformed: 4400,
  tokenExpired: 4401,
  /** The role may not hold this document at all (curation for employees). */
  forbidden: 4403,
  /**
   * An update that can never be integrated. Terminal: an honest client never sends one (one
   * made offline and sent before its sync step 2 is held until that step 2 arrives, see
   * #hold), and a faulty one would resend it on every reconnect.
   */
  unintegrable: RELAY_CLOSE.unintegrable,
  /** An update that breaks an item beyond repair; terminal for the same reason. */
  brokenSchema: RELAY_CLOSE.brokenSchema,
} as const

/**
 * Bytes received while the room loads, as a multiple of --max-message-bytes: a client sends its
 * sync step 1, its presence and a few updates before the first answer; far more is flooding.
 * Counted in bytes because every frame may be up to --max-message-bytes large.
 */
const QUEUED_BYTES_PER_MAX_MESSAGE = 4
/** Frames received while the room loads; also capped so tiny frames cannot pile up either. */
const MAX_QUEUED_FRAMES = 1000
/**
 * A peer that does not read its socket is dropped rather than buffered without bound: past this
 * many bytes waiting in its socket, as a multiple of --max-message-bytes (one big sync step 2
 * still goes out to a peer that reads slowly).
 */
const BUFFERED_BYTES_PER_MAX_MESSAGE = 4
/** Sync step 1 costs a whole-document encoding: a burst of a few, then one every few seconds. */
const SYNC_REQUEST_BURST = 5
const SYNC_REQUEST_REFILL_MS = 3000
/** Refused frames (read-only updates, excess sync requests) are logged once per interval. */
const DROP_LOG_INTERVAL_MS = 60_000
/** After a storage failure, how long a connection is kept (reading nothing) before 1013. */
const STORAGE_RETRY_MS = 1000
/** A heartbeat: an awareness update with no entries, which y-websocket applies as a no-op. */
const HEARTBEAT = new Uint8Array([1, 1, 0])

let nextConnectionId = 1

/**
 * What an idle connection keeps is kept once where it can be shared (issue 11.3, idle memory:
 * ours held ~1 KiB more JavaScript per connection than the stock server): one ref and one name
 * per room (bounded), one set of relay-wide settings, times as small integers (ms since this
 * module loaded) rather than boxed doubles.
 */
type SharedRoom = { ref: RoomRef; name: string }
const sharedRooms = new Map<string, SharedRoom>()

function sharedRoom(ref: RoomRef): SharedRoom {
  const name = roomName(ref.workspaceId, ref.doc)
  const known = sharedRooms.get(name)
  if (known !== undefined) return known
  if (sharedRooms.size >= 10_000) sharedRooms.clear()
  const shared = { ref: { workspaceId: ref.workspaceId, doc: ref.doc }, name }
  sharedRooms.set(name, shared)
  return shared
}

type Settings = {
  rooms: RoomSource
  log: Logger
  onGone: (connection: Connection) => void
  maxQueuedBytes: number
  maxBufferedBytes: number
}
let lastSettings: Settings | null = null

function sharedSettings(
  rooms: RoomSource,
  log: Logger,
  onGone: (connection: Connection) => void,
  options: ConnectionOptions,
): Settings {
  const maxQueuedBytes = QUEUED_BYTES_PER_MAX_MESSAGE * options.maxMessageBytes
  const last = lastSettings
  if (
    last?.rooms === rooms &&
    last.log === log &&
    last.onGone === onGone &&
    last.maxQueuedBytes === maxQueuedBytes
  )
    return last
  lastSettings = {
    rooms,
    log,
    onGone,
    maxQueuedBytes,
    maxBufferedBytes: BUFFERED_BYTES_PER_MAX_MESSAGE * options.maxMessageBytes,
  }
  return lastSettings
}

const EPOCH = Date.now()
/** The connection clock's period: 2³⁰ ms (12.4 days). */
const TICKS = 2 ** 30
/** `x & MASK` is x modulo TICKS, negative x too (an integer below 2⁵³: ToInt32 is exact mod 2³²). */
const MASK = TICKS - 1
/**
 * The connection's clock: `now` (Date.now(), the process's one clock) as milliseconds since this
 * module loaded, modulo TICKS — always a small integer (a Smi, no boxed number per field) however
 * long the relay runs. Counted from the load alone, the times passed 2³¹ ms after 24.8 days and V8
 * boxed them (~16 B per field per connection, and a map migration of every connection). Times of
 * this clock are compared only through `elapsed`, exact for spans under 12.4 days: a connection
 * is sent a heartbeat at least every few seconds, and its sync bucket is topped up then too.
 */
export function connectionClock(now = Date.now()): number {
  // A mask, not `%`: a floating-point remainder on every send showed in the profile (0.5%).
  return (now - EPOCH) & MASK
}
const clock = () => connectionClock()

/** Milliseconds from `then` to `now`, two connectionClock() times less than a period apart. */
export function elapsed(then: number, now: number): number {
  return (now - then) & MASK
}

/**
 * Each WebSocket's Connection, for the shared listeners (a WeakMap rather than a property on
 * ws's object, whose shape is ws's). Kept until the socket goes: its close and errors after a
 * close() are still logged, as before.
 */
const byWebSocket = new WeakMap<WebSocket, Connection>()

type Listeners = {
  message(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void
  pong(this: WebSocket): void
  error(this: WebSocket, error: Error): void
  close(this: WebSocket, code: number, reason: Buffer): void
}
/** Set by Connection's static block (below). */
let listeners: Listeners

/** Where a connection gets its room from (the RoomManager; a stand-in in tests). */
export type RoomSource = Pick<RoomManager, 'acquire' | 'release'>

export type ConnectionOptions = { maxMessageBytes: number }

/**
 * One WebSocket on one room. Frames are handled strictly in arrival order; until the room is
 * loaded they wait in a queue, so no sync message is ever answered from a partial document.
 */
export class Connection {
  readonly id = nextConnectionId++
  readonly claims: TokenClaims
  readonly access: Access
  /** The room's ref and name, one object per room (see sharedRoom). */
  readonly #shared: SharedRoom
  /** Keepalive: set by pong, cleared by each ping round. */
  alive = true
  #room: Room | null = null
  /** Frames received before the room loaded; null once it has (an idle connection holds none). */
  #queue: { frames: Uint8Array[]; bytes: number } | null = { frames: [], bytes: 0 }
  /** When the last frame was sent (clock()), for heartbeats. */
  #lastSentAt = clock()
  /** Token bucket for sync step 1 requests (refilled at clock() times). */
  #syncTokens = SYNC_REQUEST_BURST
  #syncRefilledAt = clock()
  /** Refused frames not yet logged, by reason; the last time each was logged. */
  #drops: Map<string, { count: number; loggedAt: number }> | null = null
  /**
   * We asked this writer for what it has (our sync step 1) and its step 2 has not come yet.
   * Meanwhile an update it makes may build on offline edits only that step 2 brings: such an
   * update is held (bounded) and applied after the step 2, not refused.
   */
  #awaitingStep2 = false
  /** Made on the first held update (an idle connection carries none). */
  #held: { updates: Uint8Array[]; bytes: number } | null = null
  /** Storage refused this connection's change: it is closed shortly, nothing more is read. */
  #draining = false
  #closed = false
  readonly #ws: WebSocket
  readonly #settings: Settings

  get ref(): RoomRef {
    return this.#shared.ref
  }

  get roomName(): string {
    return this.#shared.name
  }

  /** The member behind this connection, for presence ownership and logs. */
  get member(): string {
    return this.claims.sub
  }

  /** The token's `name` claim: the only `user.name` this connection's presence may show. */
  get memberName(): string {
    return this.claims.name
  }

  get #log(): Logger {
    return this.#settings.log
  }

  get #rooms(): RoomSource {
    return this.#settings.rooms
  }

  constructor(
    ws: WebSocket,
    claims: TokenClaims,
    ref: RoomRef,
    rooms: RoomSource,
    log: Logger,
    onGone: (connection: Connection) => void,
    options: ConnectionOptions,
  ) {
    this.#ws = ws
    this.claims = claims
    this.#shared = sharedRoom(ref)
    this.access = accessFor(ref.doc, claims.role)
    this.#settings = sharedSettings(rooms, log, onGone, options)
    // The same four functions for every connection, which finds itself from the socket: four
    // closures and their context per connection were ~240 B of an idle one (issue 11.3).
    byWebSocket.set(ws, this)
    ws.on('message', listeners.message)
    ws.on('pong', listeners.pong)
    ws.on('error', listeners.error)
    ws.on('close', listeners.close)
    void this.#attach()
  }

  // In the class body, so that the shared listeners may call the private handlers.
  static {
    listeners = {
      message(data, isBinary) {
        const connection = byWebSocket.get(this)
        if (connection) connection.#onFrame(data, isBinary)
      },
      pong() {
        const connection = byWebSocket.get(this)
        if (connection) connection.alive = true
      },
      error(error) {
        const connection = byWebSocket.get(this)
        if (connection) connection.#onSocketError(error)
      },
      close(code, reason) {
        const connection = byWebSocket.get(this)
        if (connection) connection.#onClose(code, reason.toString('utf8'))
      },
    }
  }

  async #attach(): Promise<void> {
    // The upgrade check refuses these with 403; never serve a document the role may not hold.
    if (this.access === 'none') {
      this.#refuse(CLOSE.forbidden, `no access to "${this.ref.doc}"`)
      return
    }
    let room: Room
    try {
      room = await this.#rooms.acquire(this.ref)
    } catch (error) {
      this.#log.error('room failed to load', {
        room: this.roomName,
        error: (error as Error).message,
      })
      this.close(CLOSE.internalError, 'room failed to load')
      return
    }
    if (this.#closed) {
      this.#rooms.release(room)
      return
    }
    this.#room = room
    room.addPeer(this)
    const presence = room.awarenessSnapshot()
    if (presence) this.send(presence)
    const queued = this.#queue?.frames ?? []
    this.#queue = null
    for (const frame of queued) {
      if (this.#closed) break
      this.#handle(room, frame)
    }
  }

  #onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.#closed || this.#draining) return
    if (!isBinary) {
      this.#refuse(CLOSE.unsupportedData, 'text frames are not supported')
      return
    }
    const buffer = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? Buffer.from(data)
        : data
    const frame = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    if (this.#room) {
      this.#handle(this.#room, frame)
    } else if (this.#queue) {
      this.#enqueue(frame)
    }
  }

  #enqueue(frame: Uint8Array): void {
    const queue = this.#queue
    if (!queue) return
    const bytes = queue.bytes + frame.byteLength
    if (bytes > this.#settings.maxQueuedBytes || queue.frames.length >= MAX_QUEUED_FRAMES) {
      this.#refuse(CLOSE.tryAgainLater, 'too much data before the room was ready', {
        queuedFrames: queue.frames.length + 1,
        queuedBytes: bytes,
      })
      return
    }
    queue.bytes = bytes
    // A small frame may be a view into a larger socket buffer: copy it so the queue holds only
    // the bytes it counted.
    queue.frames.push(frame.byteLength === frame.buffer.byteLength ? frame : frame.slice())
  }

  #handle(room: Room, frame: Uint8Array): void {
    if (this.#draining) return
    try {
      this.#dispatch(room, decodeClientMessage(frame))
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#refuse(CLOSE.malformed, error.message)
      } else if (error instanceof SchemaRefusal) {
        this.#refuse(CLOSE.brokenSchema, `update refused: ${error.message}`)
      } else if (error instanceof StorageError) {
        this.#storageFailed(error)
      } else {
        this.#log.error('unexpected error handling a frame', {
          conn: this.id,
          room: this.roomName,
          error: (error as Error).stack ?? String(error),
        })
        this.close(CLOSE.internalError, 'internal error')
      }
    }
  }

  #storageFailed(error: Error): void {
    this.#log.error('storage failure', {
      conn: this.id,
      room: this.roomName,
      error: error.message,
    })
    // 1013 "try again later": y-websocket reconnects and resends what the relay lacks. It
    // reconnects within 100 ms, so closing at once would make a full disk a hot loop (a
    // resent step 2 and a room rebuild each time): frames are dropped for a second first.
    if (this.#draining || this.#closed) return
    this.#draining = true
    setTimeout(
      () => this.close(CLOSE.tryAgainLater, 'storage unavailable'),
      STORAGE_RETRY_MS,
    ).unref()
  }

  /**
   * Storage answers after the frame was handled: a refusal closes the connection then (told, not
   * a promise per update: issue 11.3).
   */
  #watchStored(result: ApplyResult): void {
    result.outcome.onRefused((error: unknown) => {
      if (error instanceof StorageError) this.#storageFailed(error)
      else
        this.#log.error('unexpected error storing a change', {
          conn: this.id,
          room: this.roomName,
          error: (error as Error).stack ?? String(error),
        })
    })
  }

  #dispatch(room: Room, message: ClientMessage): void {
    switch (message.kind) {
      case 'sync-step1': {
        checkStateVector(message.stateVector)
        if (!this.#takeSyncToken()) {
          this.#dropped('sync request over the rate limit', message.stateVector.byteLength)
          return
        }
        // Ask a writer for what it has and we lack (offline edits). A reader's answer would be
        // dropped anyway, so it is not asked.
        const ask = this.access === 'write'
        if (ask) this.#awaitingStep2 = true
        const stateVector = message.stateVector
        // Answered once what was applied before is stored and sent: the answer then holds only
        // durable changes, and follows every update broadcast before it.
        void room.idle().then(() => {
          if (this.#closed) return
          try {
            const answer = syncFrame(SYNC_STEP2, room.diffFor(stateVector, this))
            // A writer's answer and our step 1 leave in one write (one system call per
            // champion's connect instead of two: issue 11.3).
            this.#send(answer, ask ? syncFrame(SYNC_STEP1, room.stateVector()) : null)
          } catch (error) {
            if (error instanceof StorageError) this.#storageFailed(error)
            else this.close(CLOSE.internalError, 'internal error')
          }
        })
        return
      }
      case 'sync-step2':
      case 'sync-update': {
        if (this.access !== 'write') {
          this.#dropped('update from read-only connection', message.update.byteLength, {
            kind: message.kind,
          })
          return
        }
        if (message.kind === 'sync-step2' && isEmptyUpdate(message.update)) {
          // A new champion's answer to our sync step 1: nothing to apply, store or send (a Yjs
          // transaction and its encoding were ~3% of the relay's CPU per connect, issue 11.3).
          this.#awaitingStep2 = false
          this.#applyHeld(room)
          return
        }
        const result = room.applyClientUpdate(message.update, this)
        this.#watchStored(result)
        this.#reportRepairs(result)
        if (message.kind === 'sync-step2') {
          if (result.dropped) {
            // A step 2 is the client's whole state: a client that received such data from an
            // older relay hands it back. Its good part is kept; closing it would lock an honest
            // champion out, and what was dropped is never kept, stored or served.
            this.#log.warn('dropped parts of a sync step 2 that can never integrate', {
              conn: this.id,
              room: this.roomName,
              member: this.member,
              ...result.dropped,
              missing: result.dropped.missing.join(','),
            })
          }
          this.#awaitingStep2 = false
          this.#applyHeld(room)
        } else if (result.dropped) {
          this.#hold(message.update, result)
        }
        return
      }
      case 'awareness':
        // The room decides, from `access` and `memberName`: only writers' presence, under their
        // token's name and for their own ids, is relayed. It still throws on a malformed update,
        // so readers' frames are decoded too and a garbage frame closes any connection (4400).
        room.applyAwareness(message.update, this)
        return
      case 'query-awareness': {
        const presence = room.awarenessSnapshot()
        if (presence) this.send(presence)
        return
      }
    }
  }

  /** Keep `update` until the step 2 we asked for, or refuse it if we are not waiting for one. */
  #hold(update: Uint8Array, result: ApplyResult): void {
    const dropped = result.dropped
    const held = this.#held ?? { updates: [], bytes: 0 }
    const bytes = held.bytes + update.byteLength
    if (
      !this.#awaitingStep2 ||
      bytes > this.#settings.maxQueuedBytes ||
      held.updates.length >= 100
    ) {
      this.#refuse(CLOSE.unintegrable, 'update refers to changes the relay does not have', {
        ...dropped,
        missing: dropped?.missing.join(','),
        held: held.updates.length,
      })
      return
    }
    held.bytes = bytes
    this.#held = held
    held.updates.push(update.byteLength === update.buffer.byteLength ? update : update.slice())
  }

  /** After the client's step 2, what it sent before must integrate; anything else is refused. */
  #applyHeld(room: Room): void {
    const held = this.#held
    if (!held) return
    this.#held = null
    for (const update of held.updates) {
      if (this.#closed) return
      const result = room.applyClientUpdate(update, this)
      this.#watchStored(result)
      this.#reportRepairs(result)
      if (result.dropped) this.#hold(update, result)
    }
  }

  #reportRepairs(result: ApplyResult): void {
    if (result.repairs.length === 0) return
    const fields = result.repairs.map((r) => `${r.entry}.${r.field}`).join(',')
    this.#dropped('repaired fields that broke an item', 0, { fields })
  }

  #takeSyncToken(): boolean {
    const now = clock()
    this.#refillSyncTokens(now)
    if (this.#syncTokens === 0) return false
    // A full bucket refills from its first use on (its last refill time may be a period old).
    if (this.#syncTokens === SYNC_REQUEST_BURST) this.#syncRefilledAt = now
    this.#syncTokens--
    return true
  }

  #refillSyncTokens(now: number): void {
    const refill = Math.floor(elapsed(this.#syncRefilledAt, now) / SYNC_REQUEST_REFILL_MS)
    if (refill === 0) return
    this.#syncTokens = Math.min(SYNC_REQUEST_BURST, this.#syncTokens + refill)
    this.#syncRefilledAt = (this.#syncRefilledAt + refill * SYNC_REQUEST_REFILL_MS) & MASK
  }

  /** A refused or altered frame: one log line for the first, then one per interval with a count. */
  #dropped(reason: string, bytes: number, fields: LogFields = {}): void {
    const now = Date.now()
    // Made on the first refusal: an idle connection carries no Map (issue 11.3, idle memory).
    this.#drops ??= new Map()
    const record = this.#drops.get(reason) ?? { count: 0, loggedAt: Number.NEGATIVE_INFINITY }
    record.count++
    this.#drops.set(reason, record)
    if (now - record.loggedAt < DROP_LOG_INTERVAL_MS) return
    this.#log.warn('dropped frame', {
      conn: this.id,
      room: this.roomName,
      member: this.member,
      role: this.claims.role,
      reason,
      bytes,
      count: record.count,
      ...fields,
    })
    record.loggedAt = now
    record.count = 0
  }

  send(frame: Uint8Array): void {
    this.#send(frame, null)
  }

  /** `frame`, then `next` if any, in that order; both in one socket write when written directly. */
  #send(frame: Uint8Array, next: Uint8Array | null): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return
    if (this.#ws.bufferedAmount > this.#settings.maxBufferedBytes) {
      this.#log.warn('dropped slow connection', {
        conn: this.id,
        room: this.roomName,
        member: this.member,
        bufferedBytes: this.#ws.bufferedAmount,
      })
      this.close(CLOSE.tryAgainLater, 'not reading fast enough')
      return
    }
    this.#lastSentAt = clock()
    // A room sends one frame to many connections in a row (readers' merged update, a champion's
    // keystroke, presence): its WebSocket bytes are built once and written as they are.
    const socket = directSocket(this.#ws)
    if (socket) {
      socket.write(next ? websocketPair(frame, next) : websocketBytes(frame))
      return
    }
    const onSent = (error?: Error) => {
      if (error) this.#onSocketError(error)
    }
    this.#ws.send(frame, { binary: true }, onSent)
    if (next) this.#ws.send(next, { binary: true }, onSent)
  }

  /** `now` is Date.now(). */
  heartbeat(now: number, everyMs: number): void {
    const at = connectionClock(now)
    // A bucket being refilled keeps a recent time (see connectionClock).
    if (this.#syncTokens < SYNC_REQUEST_BURST) this.#refillSyncTokens(at)
    if (elapsed(this.#lastSentAt, at) >= everyMs) this.send(HEARTBEAT)
  }

  /** Close for bad input: one log line naming the connection, the code and the reason. */
  #refuse(code: number, reason: string, fields: LogFields = {}): void {
    this.#log.warn('closed connection for bad input', {
      conn: this.id,
      room: this.roomName,
      member: this.claims.sub,
      code,
      reason,
      ...fields,
    })
    this.close(code, reason)
  }

  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#detach()
    // Close reasons are limited to 123 bytes by RFC 6455.
    this.#ws.close(code, Buffer.from(reason).subarray(0, 120).toString('utf8'))
    // Do not wait forever for the peer's close frame.
    setTimeout(() => this.#ws.terminate(), 5000).unref()
  }

  terminate(why: string): void {
    this.#log.warn('dropped connection', { conn: this.id, room: this.roomName, why })
    this.#detach()
    this.#ws.terminate()
  }

  ping(): void {
    this.alive = false
    this.#ws.ping()
  }

  #onSocketError(error: Error & { code?: string }): void {
    // ws closes the socket itself after a protocol error (1009 for oversized frames, 1002/1007
    // otherwise); here it is only logged and the room let go.
    const code =
      error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
        ? CLOSE.tooBig
        : error.code === 'WS_ERR_INVALID_UTF8'
          ? 1007
          : error.code?.startsWith('WS_ERR_')
            ? 1002
            : null
    if (code !== null) {
      this.#log.warn('closed connection for bad input', {
        conn: this.id,
        room: this.roomName,
        member: this.claims.sub,
        code,
        reason: error.message,
      })
    } else {
      this.#log.warn('socket error', { conn: this.id, room: this.roomName, error: error.message })
    }
    this.#detach()
  }

  #onClose(code: number, reason: string): void {
    this.#detach()
    this.#log.info('connection closed', { conn: this.id, room: this.roomName, code, reason })
  }

  #detach(): void {
    if (this.#closed) return
    this.#closed = true
    this.#queue = null
    if (this.#room) {
      this.#room.removePeer(this)
      this.#rooms.release(this.#room)
      this.#room = null
    }
    this.#settings.onGone(this)
  }
}

/**
 * Sync frames by the payload they carry: a room hands out the same answer and state vector to
 * every connect while its doc is unchanged (SyncAnswers), so their frames are encoded once too.
 */
const syncFrames = [new WeakMap<Uint8Array, Uint8Array>(), new WeakMap<Uint8Array, Uint8Array>()]

function syncFrame(type: typeof SYNC_STEP1 | typeof SYNC_STEP2, payload: Uint8Array): Uint8Array {
  const frames = syncFrames[type === SYNC_STEP1 ? 0 : 1] as WeakMap<Uint8Array, Uint8Array>
  let frame = frames.get(payload)
  if (frame === undefined) {
    frame = encodeSync(type, payload)
    frames.set(payload, frame)
  }
  return frame
}

/** The empty Yjs update (no structs, empty delete set): what a client with nothing new sends. */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0
}

/** What of ws 8's internals a direct write relies on (checked on every send, else ws.send). */
type WsInternals = {
  _sender?: { _state?: unknown; _queue?: unknown[] }
  _socket?: { writable?: boolean; write(chunk: Buffer): boolean }
}

/**
 * The socket under `ws` if a frame may be written to it directly: ws's sender is idle (nothing
 * queued behind a compression or a blob read, neither of which the relay uses), so frames keep
 * their order; null otherwise (ws.send then).
 */
function directSocket(ws: WebSocket): { write(chunk: Buffer): boolean } | null {
  const { _sender: sender, _socket: socket } = ws as unknown as WsInternals
  if (sender?._state !== 0 || !Array.isArray(sender._queue)) return null
  if (sender._queue.length > 0 || !socket?.writable) return null
  return socket
}

let lastFrame: Uint8Array | null = null
let lastBytes: Buffer | null = null

/** An unmasked, final binary WebSocket frame (RFC 6455 5.2) of `payload`; the last one cached. */
export function websocketBytes(payload: Uint8Array): Buffer {
  if (payload === lastFrame && lastBytes) return lastBytes
  const bytes = Buffer.allocUnsafe(framedLength(payload))
  writeFrame(bytes, 0, payload)
  lastFrame = payload
  lastBytes = bytes
  return bytes
}

/** Two frames back to back in one buffer (written with one system call); not cached. */
export function websocketPair(first: Uint8Array, second: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(framedLength(first) + framedLength(second))
  writeFrame(bytes, writeFrame(bytes, 0, first), second)
  return bytes
}

function headLength(n: number): number {
  return n < 126 ? 2 : n < 65_536 ? 4 : 10
}

function framedLength(payload: Uint8Array): number {
  return headLength(payload.byteLength) + payload.byteLength
}

/** Writes the frame of `payload` at `at`; returns where it ends. */
function writeFrame(bytes: Buffer, at: number, payload: Uint8Array): number {
  const n = payload.byteLength
  bytes[at] = 0x82
  if (n < 126) bytes[at + 1] = n
  else if (n < 65_536) {
    bytes[at + 1] = 126
    bytes.writeUInt16BE(n, at + 2)
  } else {
    bytes[at + 1] = 127
    bytes.writeUInt32BE(Math.floor(n / 2 ** 32), at + 2)
    bytes.writeUInt32BE(n >>> 0, at + 6)
  }
  const head = headLength(n)
  bytes.set(payload, at + head)
  return at + head + n
}
