import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { ProtocolError } from './messages'

/**
 * Checks of message payloads before they touch a room: a payload Yjs cannot decode is refused,
 * so it can never reach storage or other clients.
 */
export function checkStateVector(stateVector: Uint8Array): void {
  try {
    Y.decodeStateVector(stateVector)
  } catch (error) {
    throw new ProtocolError(`invalid state vector: ${(error as Error).message}`)
  }
}

/** The structs of a client update that decoded (the room checks they are all new to it). */
export function checkUpdate(update: Uint8Array): (Y.Item | Y.GC | Y.Skip)[] {
  try {
    // Decodes every struct, content and the delete set without integrating anything: about 5 µs
    // for a keystroke, where applying to a scratch Y.Doc costs ~150 µs (mostly creating the doc).
    // The rare update that decodes but fails to integrate is caught by Room (which then rebuilds
    // its doc from storage), so it cannot reach storage or other clients either.
    return Y.decodeUpdate(update).structs
  } catch (error) {
    throw new ProtocolError(`invalid Yjs update: ${(error as Error).message || 'unreadable'}`)
  }
}

/**
 * One presence entry of an awareness update; `state` is the JSON text as sent (`null` = gone),
 * `value` what it parses to (parsed once here, so the room can check it without parsing again).
 */
export type AwarenessEntry = { clientId: number; clock: number; state: string; value: unknown }

/**
 * An awareness update is `count, (clientID, clock, JSON state)*`. Decode it fully (y-protocols
 * would throw half-way through and leave earlier entries applied); the room then keeps only the
 * entries the sending connection may speak for.
 */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  try {
    const decoder = decoding.createDecoder(update)
    const count = decoding.readVarUint(decoder)
    const entries: AwarenessEntry[] = []
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const state = decoding.readVarString(decoder)
      // Unreadable JSON is a malformed frame (y-protocols would throw on it too): refused whole.
      const value: unknown = JSON.parse(state)
      entries.push({ clientId, clock, state, value })
    }
    if (decoding.hasContent(decoder)) throw new Error('trailing bytes')
    return entries
  } catch (error) {
    throw new ProtocolError(`invalid awareness update: ${(error as Error).message || 'unreadable'}`)
  }
}

/** The inverse of `decodeAwarenessUpdate`, for the entries kept. */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const { clientId, clock, state } of entries) {
    encoding.writeVarUint(encoder, clientId)
    encoding.writeVarUint(encoder, clock)
    encoding.writeVarString(encoder, state)
  }
  return encoding.toUint8Array(encoder)
}

/**
 * What a presence state says its person is called, read from untrusted JSON without assuming
 * any shape: `{ named: false }` when it names nobody (not an object, no `user`, or a `user`
 * that is not an object or has no `name`), else `{ named: true, name }` with `name` as sent,
 * whatever its type (the caller decides; a non-string can never match a token's name).
 * Only own properties count: JSON may carry a `"__proto__"` key, which must not be looked up
 * through the prototype chain (nor reach it).
 */
export function presenceName(value: unknown): { named: false } | { named: true; name: unknown } {
  if (!isPlainRecord(value) || !Object.hasOwn(value, 'user')) return { named: false }
  const user: unknown = value.user
  if (!isPlainRecord(user) || !Object.hasOwn(user, 'name')) return { named: false }
  return { named: true, name: user.name }
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
