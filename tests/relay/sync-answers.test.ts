import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { MAX_ANSWER_BYTES, SyncAnswers } from '../../sync-server/rooms/sync-answers'

// Issue 11.3, connects: a room's sync answers are computed once while its doc is unchanged. A
// kept answer must never be stale: deletes leave the state vector as it was, Yjs collects
// garbage at a transaction's end, another client's updates arrive, a reload replaces the doc.

type Op =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'set'; key: string; value: number }
  | { kind: 'unset'; key: string }
  | { kind: 'other'; text: string }
  | { kind: 'nothing' }
  | { kind: 'reload' }
  | { kind: 'ask'; which: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(50),
    text: fc.string({ minLength: 1, maxLength: 5 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(50),
    length: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.constantFrom('a', 'b', 'c'),
    value: fc.nat(9),
  }),
  fc.record({ kind: fc.constant('unset' as const), key: fc.constantFrom('a', 'b', 'c') }),
  fc.record({
    kind: fc.constant('other' as const),
    text: fc.string({ minLength: 1, maxLength: 3 }),
  }),
  fc.constant({ kind: 'nothing' as const }),
  fc.constant({ kind: 'reload' as const }),
  fc.record({ kind: fc.constant('ask' as const), which: fc.nat(5) }),
  fc.record({ kind: fc.constant('ask' as const), which: fc.nat(5) }),
)

function check(answers: SyncAnswers, doc: Y.Doc, stateVectors: Uint8Array[]): void {
  expect(answers.stateVector(doc)).toEqual(Y.encodeStateVector(doc))
  for (const sv of stateVectors)
    expect(answers.diff(doc, sv)).toEqual(Y.encodeStateAsUpdate(doc, sv))
}

describe('SyncAnswers', () => {
  it('always answers what Yjs would encode now (random edits, deletes, remote updates, reloads)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, gc) => {
        let doc = new Y.Doc({ gc })
        const other = new Y.Doc()
        const answers = new SyncAnswers()
        // State vectors clients might send: nothing, older states of the room, another client's.
        const known: Uint8Array[] = [new Uint8Array([0])]
        for (const o of ops) {
          const text = doc.getText('t')
          switch (o.kind) {
            case 'insert':
              text.insert(Math.min(o.at, text.length), o.text)
              break
            case 'delete': {
              const at = Math.min(o.at, text.length)
              text.delete(at, Math.min(o.length, text.length - at))
              break
            }
            case 'set':
              doc.getMap('m').set(o.key, o.value)
              break
            case 'unset':
              doc.getMap('m').delete(o.key)
              break
            case 'other':
              Y.applyUpdate(other, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(other)))
              other.getText('t').insert(0, o.text)
              Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)))
              known.push(Y.encodeStateVector(other))
              break
            case 'nothing':
              doc.transact(() => {})
              break
            case 'reload': {
              const fresh = new Y.Doc({ gc })
              Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc))
              doc.destroy()
              doc = fresh
              break
            }
            case 'ask':
              check(answers, doc, [
                known[o.which % known.length] as Uint8Array,
                Y.encodeStateVector(doc),
              ])
              known.push(Y.encodeStateVector(doc))
              break
          }
        }
        check(answers, doc, known)
      }),
      { numRuns: 300 },
    )
  })

  it('keeps an answer while the doc is unchanged (the same bytes), not across a delete', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'hello')
    const answers = new SyncAnswers()
    const empty = new Uint8Array([0])
    const first = answers.diff(doc, empty)
    expect(answers.diff(doc, new Uint8Array([0]))).toBe(first)
    const sv = answers.stateVector(doc)
    expect(answers.stateVector(doc)).toBe(sv)
    // A delete leaves the state vector as it was; the answer's delete set changes.
    doc.getText('t').delete(0, 2)
    expect(Y.encodeStateVector(doc)).toEqual(sv)
    const after = answers.diff(doc, empty)
    expect(after).not.toBe(first)
    expect(after).toEqual(Y.encodeStateAsUpdate(doc, empty))
    expect(after).not.toEqual(first)
  })
})

describe('SyncAnswers: memory and listeners (issue 11.3, session 10)', () => {
  /** A doc whose full answer is a little more than `bytes` long (one text). */
  function docOf(bytes: number): Y.Doc {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'abcdefghij'.repeat(Math.ceil(bytes / 10)).slice(0, bytes))
    return doc
  }

  it('keeps at most MAX_ANSWER_BYTES of answers beyond the newest (a 1 MB doc: one answer)', () => {
    const doc = docOf(1_000_000)
    const answers = new SyncAnswers()
    const other = new Y.Doc()
    other.getText('x').insert(0, 'other client')
    // Four different state vectors, each a full answer of ~1 MB (none covers the room's client).
    const vectors = [
      new Uint8Array([0]),
      Y.encodeStateVector(other),
      Y.encodeStateVector(new Y.Doc()),
      Y.encodeStateVector(docOf(3)),
    ]
    // Compared as Buffers: vitest's toEqual walks a 1 MB array element by element.
    for (const sv of vectors)
      expect(Buffer.from(answers.diff(doc, sv)).equals(Y.encodeStateAsUpdate(doc, sv))).toBe(true)
    const one = Y.encodeStateAsUpdate(doc).byteLength
    expect(one).toBeGreaterThan(1_000_000)
    // Before the bound: four answers, ~4 MB. Now the newest alone (and a few bytes of vectors).
    expect(answers.keptBytes).toBeLessThan(one + 1024)
    // The newest is the one kept: asked again, the very same bytes.
    const last = vectors[3] as Uint8Array
    expect(answers.diff(doc, last)).toBe(answers.diff(doc, last.slice()))
  })

  it('keeps several small answers up to the bound, the oldest dropped first', () => {
    const doc = docOf(100_000)
    const answers = new SyncAnswers()
    const vectors = [0, 1, 2, 3].map((i) => {
      const d = new Y.Doc()
      d.getText('x').insert(0, `client ${i}`)
      return Y.encodeStateVector(d)
    })
    const kept = vectors.map((sv) => answers.diff(doc, sv))
    const size = (kept[0] as Uint8Array).byteLength
    const fit = Math.min(4, 1 + Math.floor(MAX_ANSWER_BYTES / size))
    expect(answers.keptBytes).toBeLessThanOrEqual(MAX_ANSWER_BYTES + size + 1024)
    expect(answers.keptBytes).toBeGreaterThanOrEqual(fit * size)
    // The newest `fit` are kept (the same bytes); the older ones are encoded again.
    expect(fit).toBeLessThan(4)
    for (let i = 4 - fit; i < 4; i++)
      expect(answers.diff(doc, vectors[i] as Uint8Array)).toBe(kept[i])
    const oldest = answers.diff(doc, vectors[0] as Uint8Array)
    expect(oldest).not.toBe(kept[0])
    expect(oldest).toEqual(kept[0])
  })

  it('listens to the doc only while something is kept', () => {
    const doc = new Y.Doc()
    const answers = new SyncAnswers()
    const observers = () => doc._observers.get('beforeTransaction')?.size ?? 0
    answers.stateVector(doc)
    expect(answers.listening).toBe(true)
    expect(observers()).toBe(1)
    answers.diff(doc, new Uint8Array([0]))
    expect(observers()).toBe(1)
    // A keystroke forgets everything and leaves no listener: the next ones run none.
    doc.getText('t').insert(0, 'a')
    expect(answers.listening).toBe(false)
    expect(observers()).toBe(0)
    doc.getText('t').insert(1, 'b')
    expect(observers()).toBe(0)
    expect(answers.diff(doc, new Uint8Array([0]))).toEqual(Y.encodeStateAsUpdate(doc))
    expect(observers()).toBe(1)
    // A new doc (a reload): the old one is no longer listened to.
    const fresh = new Y.Doc()
    answers.stateVector(fresh)
    expect(observers()).toBe(0)
    expect(fresh._observers.get('beforeTransaction')?.size).toBe(1)
  })

  it('keeps nothing and serves nothing kept while a transaction or its cleanup runs', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'hello')
    const answers = new SyncAnswers()
    const empty = new Uint8Array([0])
    const before = answers.diff(doc, empty)
    const seen: { inside: Uint8Array; cleanup: Uint8Array[] } = { inside: empty, cleanup: [] }
    // An observer runs in the cleanup, after the transaction's changes (before Yjs's merges):
    // it must get what Yjs encodes then.
    const onChange = () => {
      seen.cleanup = [answers.diff(doc, empty), Y.encodeStateAsUpdate(doc, empty)]
    }
    doc.getText('t').observe(onChange)
    doc.transact(() => {
      doc.getText('t').insert(5, ' world')
      seen.inside = answers.diff(doc, empty)
      expect(answers.stateVector(doc)).toEqual(Y.encodeStateVector(doc))
    })
    doc.getText('t').unobserve(onChange)
    expect(seen.inside).not.toEqual(before)
    expect(seen.cleanup[0]).toEqual(seen.cleanup[1])
    expect(seen.cleanup[0]).not.toEqual(before)
    // What was computed during the transaction was not kept (gc and merges came after it).
    expect(answers.listening).toBe(false)
    expect(answers.diff(doc, empty)).toEqual(Y.encodeStateAsUpdate(doc))
  })
})

describe('Room sync answers', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('diffFor and stateVector follow relay changes, deletes and a client in sync', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'porte-voix-sync-answers-'))
    dirs.push(dir)
    const db = openDatabase(dir)
    const rooms = new RoomManager(
      new SqliteStore(db),
      createLogger(() => {}),
      {
        idleUnloadMs: 60_000,
        compactEvery: 10_000,
      },
    )
    try {
      const room = await rooms.acquire({ workspaceId: 'ws_answers', doc: 'queue' })
      const empty = new Uint8Array([0])
      const fresh = () => Y.encodeStateAsUpdate(room.doc, empty)
      expect(room.diffFor(empty)).toEqual(fresh())
      await room.changeByRelay((doc) => doc.getText('t').insert(0, 'abcdef'))
      expect(room.diffFor(empty)).toEqual(fresh())
      const sv = room.stateVector()
      expect(sv).toEqual(Y.encodeStateVector(room.doc))
      // A client in sync gets no structs, only the delete set; asked twice, the same bytes.
      const inSync = room.diffFor(sv)
      expect(inSync).toEqual(Y.encodeStateAsUpdate(room.doc, sv))
      expect(room.diffFor(sv.slice())).toBe(inSync)
      await room.changeByRelay((doc) => doc.getText('t').delete(1, 3))
      expect(room.stateVector()).toEqual(sv)
      expect(room.diffFor(sv)).toEqual(Y.encodeStateAsUpdate(room.doc, sv))
      expect(room.diffFor(sv)).not.toEqual(inSync)
      expect(room.diffFor(empty)).toEqual(fresh())
      rooms.release(room)
    } finally {
      await rooms.closeAll()
      db.close()
    }
  })
})
