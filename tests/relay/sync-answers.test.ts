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
import { SyncAnswers } from '../../sync-server/rooms/sync-answers'

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
