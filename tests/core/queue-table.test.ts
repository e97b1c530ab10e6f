import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { moveItem } from '../../common/doc/curation-doc'
import { insertItem, itemsMap, patchItem, setCaption } from '../../common/doc/queue-doc'
import { type Access, accessFor, type DocName } from '../../common/doc/rooms'
import type { Role } from '../../common/model/member'
import { openDatabase } from '../../main/core/store/database'
import {
  changedItemIds,
  type ProjectionSync,
  projectItems,
  projectUpdate,
  rebuildQueueTable,
} from '../../main/core/store/queue-projection'
import { QueueTable } from '../../main/core/store/queue-table'
import { makeItem } from '../helpers/items'

const item = makeItem

/** A workspace's replicas as the projection sees them, for a role. */
function replicas(role: Role, queue = new Y.Doc()): ProjectionSync {
  const docs: Record<DocName, Y.Doc> = {
    queue,
    curation: new Y.Doc(),
    directory: new Y.Doc(),
    board: new Y.Doc(),
  }
  return { docs, access: (doc: DocName): Access => accessFor(doc, role) }
}

/** A doc whose table follows it incrementally, as the core wires it. */
function projected() {
  const doc = new Y.Doc()
  const sync = replicas('champion', doc)
  const table = new QueueTable(openDatabase({ file: ':memory:' }))
  let touched: string[] = []
  doc.on('update', (_u: Uint8Array, _o: unknown, _d: Y.Doc, tr: Y.Transaction) => {
    const ids = changedItemIds(tr, doc)
    touched = [...ids]
    projectItems(sync, table, ids)
  })
  return { doc, sync, table, touched: () => touched }
}

/** Both item documents projected into one table, as the core wires them. */
function projectedBoth(role: Role) {
  const sync = replicas(role)
  const table = new QueueTable(openDatabase({ file: ':memory:' }))
  for (const name of ['queue', 'curation'] as const) {
    sync.docs[name].on('update', (_u: Uint8Array, _o: unknown, _d: Y.Doc, tr: Y.Transaction) => {
      projectUpdate(sync, table, name, tr)
    })
  }
  return { sync, table }
}

describe('queue table derived from the queue doc', () => {
  it('follows inserts, patches, caption edits and deletions incrementally', () => {
    const { doc, table, touched } = projected()
    insertItem(doc, item('item_a'))
    insertItem(doc, item('item_b'))
    expect(
      table
        .list()
        .map((i) => i.id)
        .sort(),
    ).toEqual(['item_a', 'item_b'])

    patchItem(doc, 'item_a', { title: 'Renamed' }, '2026-01-02T00:00:00.000Z')
    expect(touched()).toEqual(['item_a'])
    expect(table.get('item_a')?.title).toBe('Renamed')

    setCaption(doc, 'item_b', 'linkedin', 'Hello network', '2026-01-03T00:00:00.000Z')
    expect(table.get('item_b')?.captions.linkedin).toBe('Hello network')
    // A nested Y.Text edit is traced back to its item.
    const text = itemsMap(doc).get('item_b')?.get('captions') as Y.Map<Y.Text>
    text.get('linkedin')?.insert(0, '>> ')
    expect(touched()).toEqual(['item_b'])
    expect(table.get('item_b')?.captions.linkedin).toBe('>> Hello network')

    itemsMap(doc).delete('item_a')
    expect(table.get('item_a')).toBeNull()
    expect(table.count()).toBe(1)
  })

  it('leaves invalid entries out and reports them', () => {
    const { doc, sync, table } = projected()
    insertItem(doc, item('item_ok'))
    insertItem(doc, item('item_bad'))
    // Another client writes nonsense into a field.
    itemsMap(doc).get('item_bad')?.set('url', 'javascript:alert(1)')
    expect(table.get('item_bad')).toBeNull()
    const rebuilt = rebuildQueueTable(sync, table)
    expect(rebuilt.invalid.map((entry) => entry.id)).toEqual(['item_bad'])
    expect(rebuilt.invalid[0]?.issues.join()).toContain('url')
  })

  it('orders by priority, then freshness, and filters', () => {
    const { doc, table } = projected()
    insertItem(doc, item('item_low', { priority: 10, createdAt: '2026-03-01T00:00:00.000Z' }))
    insertItem(doc, item('item_old', { priority: 80, createdAt: '2026-01-01T00:00:00.000Z' }))
    insertItem(
      doc,
      item('item_new', {
        priority: 80,
        createdAt: '2026-01-01T00:00:00.000Z',
        publishAt: '2026-02-01T10:00:00+02:00',
        objective: 'talent',
        topics: ['Hiring', 'AI'],
        campaignId: 'camp_q3',
        status: 'published',
        why: 'Our biggest recruiting push',
      }),
    )
    insertItem(doc, item('item_draft', { status: 'draft', priority: 100 }))
    expect(table.list().map((i) => i.id)).toEqual([
      'item_draft',
      'item_new',
      'item_old',
      'item_low',
    ])
    expect(table.list({ status: ['approved', 'published'] }).map((i) => i.id)).toEqual([
      'item_new',
      'item_old',
      'item_low',
    ])
    expect(table.list({ objective: 'talent' }).map((i) => i.id)).toEqual(['item_new'])
    expect(table.list({ topic: 'hiring' }).map((i) => i.id)).toEqual(['item_new'])
    expect(table.list({ campaignId: 'camp_q3' }).map((i) => i.id)).toEqual(['item_new'])
    expect(table.list({ search: 'RECRUITING' }).map((i) => i.id)).toEqual(['item_new'])
    expect(table.list({ search: '%' })).toEqual([])
    expect(table.list({ limit: 2 }).map((i) => i.id)).toEqual(['item_draft', 'item_new'])
    // Topic changes replace the side table rows.
    patchItem(doc, 'item_new', { topics: ['Events'] }, '2026-02-02T00:00:00.000Z')
    expect(table.list({ topic: 'hiring' })).toEqual([])
    expect(table.list({ topic: 'events' }).map((i) => i.id)).toEqual(['item_new'])
  })

  it('rebuild makes the table match the doc exactly', () => {
    const doc = new Y.Doc()
    const table = new QueueTable(openDatabase({ file: ':memory:' }))
    table.apply([item('item_stale')], [])
    insertItem(doc, item('item_x'))
    rebuildQueueTable(replicas('champion', doc), table)
    expect(table.list().map((i) => i.id)).toEqual(['item_x'])
  })

  it('a curator’s table holds both documents; an item moving between them never drops out', () => {
    const { sync, table } = projectedBoth('champion')
    insertItem(sync.docs.curation, item('item_d', { status: 'draft' }))
    insertItem(sync.docs.queue, item('item_p', { status: 'published' }))
    expect(
      table
        .list()
        .map((i) => i.id)
        .sort(),
    ).toEqual(['item_d', 'item_p'])
    const seen: number[] = []
    sync.docs.curation.on('update', () => seen.push(table.count()))
    moveItem(
      sync.docs.curation,
      sync.docs.queue,
      'item_d',
      (moved) => ({ ...moved, status: 'published' }),
      null,
    )
    // After the removal from curation the row is still there (the queue holds it now).
    expect(seen).toEqual([2])
    expect(table.get('item_d')?.status).toBe('published')
    expect(itemsMap(sync.docs.curation).has('item_d')).toBe(false)
  })

  it('an employee’s table holds published items only, even from a stale replica', () => {
    const { sync, table } = projectedBoth('employee')
    insertItem(sync.docs.queue, item('item_p', { status: 'published' }))
    // A replica synced before the relay migrated the workspace could still hold a draft.
    insertItem(sync.docs.queue, item('item_stale', { status: 'draft' }))
    insertItem(sync.docs.curation, item('item_c', { status: 'draft' }))
    expect(table.list().map((i) => i.id)).toEqual(['item_p'])
    rebuildQueueTable(sync, table)
    expect(table.list().map((i) => i.id)).toEqual(['item_p'])
  })
})
