import * as Y from 'yjs'

/**
 * Answers kept per room: the empty state vector (every new client), the room's own (a client in
 * sync, e.g. a core reconnecting after a relay restart), and a few others.
 */
const MAX_ANSWERS = 4

/**
 * Bytes of answers kept per room beyond the newest one: a room with a 1 MB doc would otherwise
 * hold four copies of it. The newest answer is kept whatever its size (a connect storm on a big
 * doc asks the same one), so a room holds at most this plus the newest answer (a sum: 250 KiB
 * of small answers and a 1 MB newest one make 1.25 MB), and their state vectors.
 */
export const MAX_ANSWER_BYTES = 256 * 1024

type Answer = { stateVector: Uint8Array; update: Uint8Array }

/** Whether `doc` is in a transaction or its cleanup (observers, Yjs's gc and merges). */
function changing(doc: Y.Doc): boolean {
  return doc._transaction !== null || doc._transactionCleanups.length > 0
}

/**
 * A room's sync answers (its encoded state vector, and `encodeStateAsUpdate` per client state
 * vector) computed once while its doc is unchanged: 1,000 members connecting, or reconnecting
 * after a restart, all ask the same answer (issue 11.3, connects). Any transaction on the doc,
 * whatever it does (inserts, deletes that leave the state vector as it was, Yjs's garbage
 * collection at its end, a remote node's updates, a rollback), forgets them; so does a new doc
 * (a reload replaces it). Nothing is kept, nor served from what is kept, while a transaction or
 * its cleanup runs. The answers are the very bytes Yjs would encode now, so callers must not
 * modify what they get.
 *
 * The doc is listened to only while something is kept (issue 11.3, edits): a room being edited
 * keeps nothing between two keystrokes, so its transactions run no listener of this class.
 */
export class SyncAnswers {
  #doc: Y.Doc | null = null
  #stateVector: Uint8Array | null = null
  #answers: Answer[] = []
  /** Bytes of the kept answers' updates. */
  #bytes = 0
  /** Whether #forget listens to #doc (exactly while something is kept). */
  #listening = false
  /** At the start of any transaction on the doc, while something is kept. */
  readonly #forget = (): void => {
    this.#stateVector = null
    if (this.#answers.length > 0) this.#answers = []
    this.#bytes = 0
    this.#unlisten()
  }

  /** `Y.encodeStateVector(doc)`. */
  stateVector(doc: Y.Doc): Uint8Array {
    this.#follow(doc)
    if (changing(doc)) return Y.encodeStateVector(doc)
    if (this.#stateVector) return this.#stateVector
    const encoded = Y.encodeStateVector(doc)
    this.#listen()
    this.#stateVector = encoded
    return encoded
  }

  /** `Y.encodeStateAsUpdate(doc, stateVector)`. */
  diff(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
    this.#follow(doc)
    if (changing(doc)) return Y.encodeStateAsUpdate(doc, stateVector)
    const answers = this.#answers
    for (let i = 0; i < answers.length; i++) {
      const answer = answers[i] as Answer
      if (sameBytes(answer.stateVector, stateVector)) return answer.update
    }
    const update = Y.encodeStateAsUpdate(doc, stateVector)
    this.#listen()
    // A copy: the client's state vector is a view into its frame's socket buffer.
    answers.push({ stateVector: stateVector.slice(), update })
    this.#bytes += update.byteLength
    // The oldest go first, down to MAX_ANSWERS and MAX_ANSWER_BYTES; the newest always stays.
    while (
      answers.length > 1 &&
      (answers.length > MAX_ANSWERS || this.#bytes - update.byteLength > MAX_ANSWER_BYTES)
    )
      this.#bytes -= (answers.shift() as Answer).update.byteLength
    return update
  }

  /** Bytes kept: the answers' updates and the state vectors (tests, memory accounting). */
  get keptBytes(): number {
    let bytes = this.#bytes + (this.#stateVector?.byteLength ?? 0)
    for (const answer of this.#answers) bytes += answer.stateVector.byteLength
    return bytes
  }

  /** Whether a listener is on the doc (tests: none while nothing is kept). */
  get listening(): boolean {
    return this.#listening
  }

  #listen(): void {
    if (this.#listening || !this.#doc) return
    this.#doc.on('beforeTransaction', this.#forget)
    this.#listening = true
  }

  #unlisten(): void {
    if (!this.#listening) return
    this.#doc?.off('beforeTransaction', this.#forget)
    this.#listening = false
  }

  #follow(doc: Y.Doc): void {
    if (this.#doc === doc) return
    this.#forget()
    this.#doc = doc
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
