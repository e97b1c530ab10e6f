import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/**
 * Splitting what a replica holds beyond a state vector into several Yjs updates that each fit
 * under a byte budget. Used when the answer to the relay's sync step 1 (everything made offline)
 * is larger than the relay's frame limit: sent as one sync step 2 it would be refused (1009) and
 * the offline work would never reach anyone.
 *
 * Each part must integrate on its own at the relay, given the relay's state and the parts before
 * it: the relay refuses an update that refers to structs it lacks (issue 8.1). So the structs are
 * ordered by dependency (an item comes after its origin, right origin and parent, and after the
 * earlier structs of its client) before they are cut into parts, and the delete set goes last,
 * alone, once every struct it may name is there.
 */
export type SplitUpdate = {
  /** Updates carrying structs, in the order they must be applied. */
  structs: Uint8Array[]
  /** The delete set alone (an update with no structs), applied after `structs`. */
  deletes: Uint8Array
}

/** A client's header in a part: struct count, client id and first clock, as var-uints. */
const CLIENT_HEADER_BYTES = 32

type Struct = Y.Item | Y.GC | Y.Skip

/**
 * `update` is what `Y.encodeStateAsUpdate(doc, stateVector)` returned for `stateVector`. A struct
 * larger than `budget` on its own becomes a part of its own (the relay decides on it, as before).
 */
export function splitUpdate(
  update: Uint8Array,
  stateVector: Uint8Array,
  budget: number,
): SplitUpdate {
  const { structs } = Y.decodeUpdate(update)
  const ordered = dependencyOrder(structs, Y.decodeStateVector(stateVector))
  const parts: Uint8Array[] = []
  let part: Struct[] = []
  let partBytes = 0
  let partClients = new Set<number>()
  for (const struct of ordered) {
    const bytes = encodedSize(struct)
    if (part.length > 0 && partBytes + bytes + CLIENT_HEADER_BYTES > budget) {
      parts.push(encodeStructs(part))
      part = []
      partBytes = 0
      partClients = new Set()
    }
    part.push(struct)
    partBytes += bytes + (partClients.has(struct.id.client) ? 0 : CLIENT_HEADER_BYTES)
    partClients.add(struct.id.client)
  }
  if (part.length > 0) parts.push(encodeStructs(part))
  // Same update, every struct skipped: its delete set alone.
  const deletes = Y.diffUpdate(update, Y.encodeStateVectorFromUpdate(update))
  return { structs: parts, deletes }
}

/**
 * Structs in an order where each one's dependencies come before it (or are at the relay, per its
 * state vector). A struct whose dependency is nowhere to be found (not expected from a replica)
 * cannot be ordered; the rest then follows in the update's own order, as one sync step 2 had it.
 */
function dependencyOrder(structs: Struct[], remote: Map<number, number>): Struct[] {
  const byClient = new Map<number, Struct[]>()
  for (const struct of structs) {
    const list = byClient.get(struct.id.client)
    if (list) list.push(struct)
    else byClient.set(struct.id.client, [struct])
  }
  // The clock up to which each client's structs are at the relay or placed already.
  const placed = new Map(remote)
  for (const [client, list] of byClient) {
    const first = list[0]?.id.clock ?? 0
    if ((placed.get(client) ?? 0) < first) placed.set(client, first)
  }
  const has = (id: Y.ID | null): boolean => id === null || id.clock < (placed.get(id.client) ?? 0)
  const ready = (struct: Struct): boolean => {
    if (!(struct instanceof Y.Item)) return true
    if (!has(struct.origin) || !has(struct.rightOrigin)) return false
    // Without origins the parent is written as an id (or a root name), and needed first.
    const parent = struct.parent
    if (struct.origin === null && struct.rightOrigin === null && parent instanceof Y.ID)
      return has(parent)
    return true
  }
  const next = new Map<number, number>([...byClient.keys()].map((client) => [client, 0]))
  const ordered: Struct[] = []
  while (ordered.length < structs.length) {
    let progress = false
    for (const [client, list] of byClient) {
      let index = next.get(client) ?? 0
      while (index < list.length) {
        const struct = list[index] as Struct
        if (!ready(struct)) break
        ordered.push(struct)
        placed.set(client, struct.id.clock + struct.length)
        index++
        progress = true
      }
      next.set(client, index)
    }
    if (!progress) {
      for (const [client, list] of byClient) ordered.push(...list.slice(next.get(client) ?? 0))
      break
    }
  }
  return ordered
}

function encodedSize(struct: Struct): number {
  const encoder = new Y.UpdateEncoderV1()
  struct.write(encoder, 0)
  return encoding.length(encoder.restEncoder)
}

/**
 * One update from structs that are, per client, consecutive (they are: a part is a run of the
 * dependency order, which keeps each client's structs in clock order). Yjs reads one entry per
 * client in an update, so each client's structs are written together.
 */
function encodeStructs(structs: Struct[]): Uint8Array {
  const byClient = new Map<number, Struct[]>()
  for (const struct of structs) {
    const list = byClient.get(struct.id.client)
    if (list) list.push(struct)
    else byClient.set(struct.id.client, [struct])
  }
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, byClient.size)
  for (const [client, list] of byClient) {
    encoding.writeVarUint(encoder.restEncoder, list.length)
    encoder.writeClient(client)
    encoding.writeVarUint(encoder.restEncoder, (list[0] as Struct).id.clock)
    for (const struct of list) struct.write(encoder, 0)
  }
  // An empty delete set.
  encoding.writeVarUint(encoder.restEncoder, 0)
  return encoder.toUint8Array()
}
