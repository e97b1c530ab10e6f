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
 * With `doc`, parts end between entries where they can (see cleanCuts).
 */
export function splitUpdate(
  update: Uint8Array,
  stateVector: Uint8Array,
  budget: number,
  doc?: Y.Doc,
): SplitUpdate {
  const decoded = Y.decodeUpdate(update).structs
  const structs = doc ? decoded.map((struct) => withLiveValue(doc, struct)) : decoded
  const ordered = dependencyOrder(structs, Y.decodeStateVector(stateVector))
  const sizes = ordered.map(encodedSize)
  const clean = cleanCuts(ordered, doc)
  const parts: Uint8Array[] = []
  let start = 0
  while (start < ordered.length) {
    // The longest run from `start` that fits (one struct at least)...
    let end = start
    let bytes = 0
    const clients = new Set<number>()
    while (end < ordered.length) {
      const struct = ordered[end] as Struct
      const add = (sizes[end] ?? 0) + (clients.has(struct.id.client) ? 0 : CLIENT_HEADER_BYTES)
      if (end > start && bytes + add > budget) break
      bytes += add
      clients.add(struct.id.client)
      end++
    }
    // ...ended where no entry is cut in two, if there is such a place in it.
    let cut = end
    while (cut > start + 1 && !clean[cut]) cut--
    if (!clean[cut]) cut = end
    parts.push(encodeStructs(ordered.slice(start, cut)))
    start = cut
  }
  // Same update, every struct skipped: its delete set alone.
  const deletes = Y.diffUpdate(update, Y.encodeStateVectorFromUpdate(update))
  return { structs: parts, deletes }
}

/**
 * `clean[p]`: cutting before `ordered[p]` leaves every entry (a key of a root map: an item, a
 * campaign) whole on one side. The relay checks each update's entries as it applies it, and a
 * half-arrived entry can look broken: a value replaced offline is sent as deleted content (its
 * text is gone from the replica) and its replacement may be further on, so an item cut between
 * them has no title at the relay, which repairs or refuses it. Without `doc`, every cut is clean.
 */
function cleanCuts(ordered: Struct[], doc: Y.Doc | undefined): boolean[] {
  const clean = new Array<boolean>(ordered.length + 1).fill(true)
  if (!doc) return clean
  const entries = ordered.map((struct) => entryOf(doc, struct))
  const last = new Map<string, number>()
  entries.forEach((entry, index) => {
    if (entry !== null) last.set(entry, index)
  })
  let reach = -1
  entries.forEach((entry, index) => {
    clean[index] = reach < index
    if (entry !== null) reach = Math.max(reach, last.get(entry) ?? index)
  })
  return clean
}

/**
 * A map value replaced offline is in the replica as deleted content (Yjs dropped its value), and
 * its replacement may come in a later part: at the relay, in between, the key would have no value
 * (an item with no title, repaired or refused). It is sent with the key's current value instead;
 * the replacement, when it arrives, deletes it as usual, so both sides end the same.
 */
function withLiveValue(doc: Y.Doc, struct: Struct): Struct {
  if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentDeleted)) return struct
  const found = storedStruct(doc, struct)
  if (!(found instanceof Y.Item) || found.parentSub === null) return struct
  const parent: unknown = found.parent
  if (!(parent instanceof Y.AbstractType)) return struct
  const live = parent._map.get(found.parentSub)
  if (!live || live.deleted || !(live.content instanceof Y.ContentAny)) return struct
  const value = live.content.getContent().at(-1)
  return new Y.Item(
    struct.id,
    null,
    struct.origin,
    null,
    struct.rightOrigin,
    struct.parent,
    struct.parentSub,
    new Y.ContentAny(Array.from({ length: struct.length }, () => value)),
  )
}

/** `doc`'s own struct with `struct`'s id, or null when `doc` has none (Y.getItem throws). */
function storedStruct(doc: Y.Doc, struct: Y.Item): Y.Item | Y.GC | null {
  try {
    return Y.getItem(doc.store, struct.id)
  } catch {
    return null
  }
}

/** The root map key a struct's item sits under in `doc` (null for collected structs). */
function entryOf(doc: Y.Doc, struct: Struct): string | null {
  if (!(struct instanceof Y.Item)) return null
  const found = storedStruct(doc, struct)
  if (!found) return null
  let item: Y.Item | Y.GC = found
  for (;;) {
    if (!(item instanceof Y.Item)) return null
    const parent: unknown = item.parent
    if (!(parent instanceof Y.AbstractType)) return null
    const above: Y.Item | null = parent._item
    if (above === null) return `${Y.findRootTypeKey(parent)}\u0000${item.parentSub ?? ''}`
    item = above
  }
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
