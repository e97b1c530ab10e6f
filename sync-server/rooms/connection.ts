import type { WebSocket } from 'ws'
import * as Y from 'yjs'
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
import { type Room, StorageError } from './room'
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
} as const

/**
 * Bytes received while the room loads, as a multiple of --max-message-bytes: a client sends its
 * sync step 1, its presence and a few updates before the first answer; far more is flooding.
 * Counted in bytes because every frame may be up to --max-message-bytes large.
 */
const QUEUED_BYTES_PER_MAX_MESSAGE = 4
/** Frames received while the room loads; also capped so tiny frames cannot pile up either. */
const MAX_QUEUED_FRAMES = 1000
/** A peer that does not read its socket is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024

let nextConnectionId = 1

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
  readonly ref: RoomRef
  readonly access: Access
  readonly roomName: string
  /** The member behind this connection, for presence ownership and logs. */
  readonly member: string
  /** The token's `name` claim: the only `user.name` this connection's presence may show. */
  readonly memberName: string
  /** Keepalive: set by pong, cleared by each ping round. */
  alive = true
  #room: Room | null = null
  #queue: Uint8Array[] | null = []
  #queuedBytes = 0
  readonly #maxQueuedBytes: number
  #closed = false
  readonly #ws: WebSocket
  readonly #log: Logger
  readonly #rooms: RoomSource
  readonly #onGone: (connection: Connection) => void

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
    this.member = claims.sub
    this.memberName = claims.name
    this.#maxQueuedBytes = QUEUED_BYTES_PER_MAX_MESSAGE * options.maxMessageBytes
    this.ref = ref
    this.roomName = roomName(ref.workspaceId, ref.doc)
    this.access = accessFor(ref.doc, claims.role)
    this.#rooms = rooms
    this.#log = log
    this.#onGone = onGone
    ws.on('message', (data, isBinary) => this.#onFrame(data, isBinary))
    ws.on('pong', () => {
      this.alive = true
    })
    ws.on('error', (error) => this.#onSocketError(error))
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')))
    void this.#attach()
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
    const queued = this.#queue ?? []
    this.#queue = null
    this.#queuedBytes = 0
    for (const frame of queued) {
      if (this.#closed) break
      this.#handle(room, frame)
    }
  }

  #onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.#closed) return
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
    const bytes = this.#queuedBytes + frame.byteLength
    if (bytes > this.#maxQueuedBytes || queue.length >= MAX_QUEUED_FRAMES) {
      this.#refuse(CLOSE.tryAgainLater, 'too much data before the room was ready', {
        queuedFrames: queue.length + 1,
        queuedBytes: bytes,
      })
      return
    }
    this.#queuedBytes = bytes
    // A small frame may be a view into a larger socket buffer: copy it so the queue holds only
    // the bytes it counted.
    queue.push(frame.byteLength === frame.buffer.byteLength ? frame : frame.slice())
  }

  #handle(room: Room, frame: Uint8Array): void {
    try {
      this.#dispatch(room, decodeClientMessage(frame))
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#refuse(CLOSE.malformed, error.message)
      } else if (error instanceof StorageError) {
        this.#log.error('storage failure', {
          conn: this.id,
          room: this.roomName,
          error: error.message,
        })
        // 1013 "try again later": y-websocket reconnects and resends what the relay lacks.
        this.close(CLOSE.tryAgainLater, 'storage unavailable')
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

  #dispatch(room: Room, message: ClientMessage): void {
    switch (message.kind) {
      case 'sync-step1': {
        checkStateVector(message.stateVector)
        this.send(encodeSync(SYNC_STEP2, Y.encodeStateAsUpdate(room.doc, message.stateVector)))
        // Ask a writer for what it has and we lack (offline edits). A reader's answer would be
        // dropped anyway, so it is not asked.
        if (this.access === 'write')
          this.send(encodeSync(SYNC_STEP1, Y.encodeStateVector(room.doc)))
        return
      }
      case 'sync-step2':
      case 'sync-update': {
        if (this.access === 'read') {
          this.#log.warn('dropped update from read-only connection', {
            conn: this.id,
            room: this.roomName,
            member: this.claims.sub,
            role: this.claims.role,
            kind: message.kind,
            bytes: message.update.byteLength,
          })
          return
        }
        room.applyClientUpdate(message.update, this)
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

  send(frame: Uint8Array): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return
    if (this.#ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.#log.warn('dropped slow connection', { conn: this.id, room: this.roomName })
      this.close(CLOSE.tryAgainLater, 'not reading fast enough')
      return
    }
    this.#ws.send(frame, { binary: true }, (error) => {
      if (error) this.#onSocketError(error)
    })
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
    this.#onGone(this)
  }
}
