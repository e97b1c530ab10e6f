import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { openDatabase } from '../../main/core/store/database'
import { DocLog } from '../../main/core/store/doc-log'

function makeEdits(count: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  const text = doc.getText('t')
  for (let i = 0; i < count; i++) {
    if (i % 7 === 3 && text.length > 2) text.delete(i % text.length, 1)
    else text.insert(i % (text.length + 1), String.fromCharCode(97 + (i % 26)))
    doc.getMap('m').set(`k${i % 13}`, i)
  }
  return { doc, updates }
}

function loaded(log: DocLog, name: string): Y.Doc {
  const doc = new Y.Doc()
  log.loadInto(name, doc, null)
  return doc
}

describe('doc log', () => {
  it('loads exactly what was appended', () => {
    const log = new DocLog(openDatabase({ file: ':memory:' }), { compactEvery: 0 })
    const { doc, updates } = makeEdits(300)
    for (const update of updates) log.append('ws/queue', update)
    expect(log.stats('ws/queue').updates).toBe(updates.length)
    const copy = loaded(log, 'ws/queue')
    expect(copy.getText('t').toString()).toBe(doc.getText('t').toString())
    expect(copy.getMap('m').toJSON()).toEqual(doc.getMap('m').toJSON())
    expect(log.loadInto('other', new Y.Doc(), null)).toBe(false)
  })

  it('compaction keeps the content and leaves one snapshot plus later updates', () => {
    const log = new DocLog(openDatabase({ file: ':memory:' }), { compactEvery: 0 })
    const { doc, updates } = makeEdits(500)
    const seqs = updates.map((update) => log.append('d', update))
    const upto = seqs[399] ?? 0
    const result = log.compact('d', upto)
    expect(result?.merged).toBe(400)
    expect(log.stats('d')).toMatchObject({ updates: updates.length - 400, snapshotSeq: upto })
    const copy = loaded(log, 'd')
    expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(doc))
    expect(copy.getText('t').toString()).toBe(doc.getText('t').toString())
    // A second compaction folds the rest.
    log.compact('d')
    expect(log.stats('d').updates).toBe(0)
    expect(loaded(log, 'd').getText('t').toString()).toBe(doc.getText('t').toString())
  })

  it('a crash in the middle of compaction leaves the old rows untouched', () => {
    const db = openDatabase({ file: ':memory:' })
    const log = new DocLog(db, {
      compactEvery: 0,
      afterSnapshotWrite: () => {
        throw new Error('simulated crash')
      },
    })
    const { doc, updates } = makeEdits(120)
    for (const update of updates) log.append('d', update)
    expect(() => log.compact('d')).toThrow('simulated crash')
    expect(log.stats('d')).toMatchObject({ updates: updates.length, snapshotSeq: null })
    expect(loaded(log, 'd').getText('t').toString()).toBe(doc.getText('t').toString())
  })

  it('compacts automatically every N updates', async () => {
    const log = new DocLog(openDatabase({ file: ':memory:' }), { compactEvery: 50 })
    const { doc, updates } = makeEdits(120)
    for (const update of updates) log.append('d', update)
    await new Promise((resolve) => setImmediate(resolve))
    const stats = log.stats('d')
    expect(stats.snapshotSeq).not.toBeNull()
    expect(stats.updates).toBeLessThan(50)
    expect(loaded(log, 'd').getText('t').toString()).toBe(doc.getText('t').toString())
  })

  it('documents are independent; remove forgets one', () => {
    const log = new DocLog(openDatabase({ file: ':memory:' }), { compactEvery: 0 })
    const a = makeEdits(10)
    const b = makeEdits(20)
    for (const update of a.updates) log.append('a', update)
    for (const update of b.updates) log.append('b', update)
    log.compact('a')
    log.remove('b')
    expect(log.loadInto('b', new Y.Doc(), null)).toBe(false)
    expect(loaded(log, 'a').getText('t').toString()).toBe(a.doc.getText('t').toString())
  })
})
