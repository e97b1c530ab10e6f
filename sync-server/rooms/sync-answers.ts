import * as Y from 'yjs'

/**
 * Answers kept per room: the empty state vector (every new client), the room's own (a client in
 * sync, e.g. a core reconnecting after a relay restart), and a few others.
 */
const MAX_ANSWERS = 4

type Answer = { stateVector: Uint8Array; update: Uint8Array }

/**
 * A room's sync answers (its encoded state vector, and `encodeStateAsUpdate` per client state
 * vector) computed once while its doc is unchanged: 1,000 members connecting, or reconnecting
 * after a restart, all ask the same answer (issue 11.3, connects). Any transaction on the doc,
 * whatever it does (inserts, deletes that leave the state vector as it was, Yjs's garbage
 * collection at its end, a remote node's updates, a rollback), forgets them; so does a new doc
 * (a reload replaces it). The answers are the very bytes Yjs would encode now, so callers must
 * not modify what they get.
 */
export class SyncAnswers {
  #doc: Y.Doc | null = null
  #stateVector: Uint8Array | null = null
  #answers: Answer[] = []
  /** Set at any transaction's start and cleared at its end (after Yjs's gc and merges). */
  readonly #forget = (): void => {
    this.#stateVector = null
    if (this.#answers.length > 0) this.#answers = []
  }

  /** `Y.encodeStateVector(doc)`. */
  stateVector(doc: Y.Doc): Uint8Array {
    this.#follow(doc)
    if (this.#stateVector) return this.#stateVector
    const encoded = Y.encodeStateVector(doc)
    if (doc._transaction === null) this.#stateVector = encoded
    return encoded
  }

  /** `Y.encodeStateAsUpdate(doc, stateVector)`. */
  diff(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
    this.#follow(doc)
    const answers = this.#answers
    for (let i = 0; i < answers.length; i++) {
      const answer = answers[i] as Answer
      if (sameBytes(answer.stateVector, stateVector)) return answer.update
    }
    const update = Y.encodeStateAsUpdate(doc, stateVector)
    // Nothing is kept for a doc in a transaction: it is forgotten at the transaction's end anyway.
    if (doc._transaction !== null) return update
    if (answers.length >= MAX_ANSWERS) answers.shift()
    // A copy: the client's state vector is a view into its frame's socket buffer.
    answers.push({ stateVector: stateVector.slice(), update })
    return update
  }

  #follow(doc: Y.Doc): void {
    if (this.#doc === doc) return
    const previous = this.#doc
    if (previous) {
      previous.off('beforeTransaction', this.#forget)
      previous.off('afterTransactionCleanup', this.#forget)
    }
    this.#forget()
    this.#doc = doc
    doc.on('beforeTransaction', this.#forget)
    doc.on('afterTransactionCleanup', this.#forget)
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
