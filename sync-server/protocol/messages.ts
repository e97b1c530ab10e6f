import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

/**
 * The y-websocket wire format (binary frames):
 *   [messageSync=0][syncType: 0 step1 | 1 step2 | 2 update][varUint8Array payload]
 *   [messageAwareness=1][varUint8Array awareness update]
 *   [messageQueryAwareness=3]
 * `messageAuth=2` is only ever sent by servers, so a client sending it is malformed.
 */
export const MESSAGE_SYNC = 0
export const MESSAGE_AWARENESS = 1
export const MESSAGE_AUTH = 2
export const MESSAGE_QUERY_AWARENESS = 3

export const SYNC_STEP1 = 0
export const SYNC_STEP2 = 1
export const SYNC_UPDATE = 2
export type SyncType = typeof SYNC_STEP1 | typeof SYNC_STEP2 | typeof SYNC_UPDATE

export type ClientMessage =
  | { kind: 'sync-step1'; stateVector: Uint8Array }
  | { kind: 'sync-step2'; update: Uint8Array }
  | { kind: 'sync-update'; update: Uint8Array }
  | { kind: 'awareness'; update: Uint8Array }
  | { kind: 'query-awareness' }

/** A frame that is not a valid client message; the connection that sent it gets closed. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtocolError'
  }
}

function read<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    throw new ProtocolError(`${what}: ${(error as Error).message || 'unreadable'}`)
  }
}

/** Decode one client frame strictly: known types only, no missing and no trailing bytes. */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
  if (frame.length === 0) throw new ProtocolError('empty frame')
  const decoder = decoding.createDecoder(frame)
  const type = read('bad message type varint', () => decoding.readVarUint(decoder))
  let message: ClientMessage
  switch (type) {
    case MESSAGE_SYNC: {
      const syncType = read('truncated sync message', () => decoding.readVarUint(decoder))
      const payload = read('truncated sync payload', () => decoding.readVarUint8Array(decoder))
      if (syncType === SYNC_STEP1) message = { kind: 'sync-step1', stateVector: payload }
      else if (syncType === SYNC_STEP2) message = { kind: 'sync-step2', update: payload }
      else if (syncType === SYNC_UPDATE) message = { kind: 'sync-update', update: payload }
      else throw new ProtocolError(`unknown sync message type ${syncType}`)
      break
    }
    case MESSAGE_AWARENESS: {
      const update = read('truncated awareness payload', () => decoding.readVarUint8Array(decoder))
      message = { kind: 'awareness', update }
      break
    }
    case MESSAGE_QUERY_AWARENESS:
      message = { kind: 'query-awareness' }
      break
    default:
      throw new ProtocolError(`unknown message type ${type}`)
  }
  if (decoding.hasContent(decoder)) {
    throw new ProtocolError(`${decoder.arr.length - decoder.pos} trailing bytes after message`)
  }
  return message
}

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/**
 * A sync frame: step 1 carries a state vector, step 2 and update carry a Yjs update. The three
 * differ only in `type`, so one encoder serves them all.
 */
export function encodeSync(type: SyncType, payload: Uint8Array): Uint8Array {
  // Written straight into one array of the final size (lib0's encoder allocates a chunk and
  // copies it out): every stored update is framed once on its way to the room's peers.
  const n = payload.byteLength
  let lengthBytes = 1
  for (let v = n; v > 0x7f; v = Math.floor(v / 128)) lengthBytes++
  const out = new Uint8Array(2 + lengthBytes + n)
  out[0] = MESSAGE_SYNC
  out[1] = type
  let at = 2
  let v = n
  while (v > 0x7f) {
    out[at++] = 0x80 | (v & 0x7f)
    v = Math.floor(v / 128)
  }
  out[at++] = v
  out.set(payload, at)
  return out
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MESSAGE_AWARENESS)
    encoding.writeVarUint8Array(e, update)
  })
}

export function encodeQueryAwareness(): Uint8Array {
  return frame((e) => encoding.writeVarUint(e, MESSAGE_QUERY_AWARENESS))
}
