import type * as Y from 'yjs'

/**
 * What Yjs parked after an update: structs and deletions that refer to clients or clocks the doc
 * does not have. Yjs keeps them and re-applies them on every later update (which can then throw
 * for an honest writer), serves them in sync step 2 and folds them into snapshots. The relay
 * never keeps them: they are cut out as soon as they appear.
 */
export type Dropped = { structBytes: number; deleteSetBytes: number; missing: string[] }

/**
 * Remove pending structs and deletions from `doc` and say what was dropped (null if nothing).
 * The integrated part of an update stays: it is complete on its own, and Yjs's `update` event
 * for the transaction only ever contains integrated structs, so it is what gets stored.
 */
export function dropPending(doc: Y.Doc): Dropped | null {
  const { pendingStructs, pendingDs } = doc.store
  if (pendingStructs === null && pendingDs === null) return null
  doc.store.pendingStructs = null
  doc.store.pendingDs = null
  const missing = pendingStructs
    ? [...pendingStructs.missing].map(([client, clock]) => `${client}@${clock}`)
    : []
  return {
    structBytes: pendingStructs?.update.byteLength ?? 0,
    deleteSetBytes: pendingDs?.byteLength ?? 0,
    missing: missing.slice(0, 5),
  }
}
