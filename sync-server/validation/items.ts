import * as Y from 'yjs'
import { readItem } from '../../common/doc/queue-doc'
import { Campaign } from '../../common/model/campaign'
import { ITEM_LIMITS } from '../../common/model/item'

/**
 * Schema rules for what champions write, checked by the relay on the items an update touched,
 * after applying it and before storing or passing it on. Any champion's client can write, so
 * one faulty client must not make an item unreadable for everyone:
 * - a field readItem would have to repair (a caption over the limit, a 21st variant, a value
 *   of the wrong type) is repaired in the same transaction, so the stored and broadcast change
 *   is already valid, and every client — the sender too — converges on the repaired item;
 * - a change that leaves an item without what identifies it (id, link, author, creation date),
 *   or puts something that is not an item under an item id, cannot be repaired: it is refused.
 * Only touched items are looked at, so an item broken before this check existed does not block
 * edits elsewhere (and is repaired the next time someone edits it).
 */

/** A change that would break an item or campaign and cannot be repaired. */
export class SchemaRefusal extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SchemaRefusal'
  }
}

export type Repair = { entry: string; field: string }

/** Fields without which readItem refuses an item (see queue-doc). */
const ESSENTIAL = new Set(['id', 'url', 'authorId', 'createdAt'])

type Touched = { keys: Set<string> }
/** Any shared type, seen only through where it sits in the doc. */
type Node = { _item: Y.Item | null }

/** Which entries of root map `root` the transaction touched, with the keys changed on each. */
function touchedEntries(tr: Y.Transaction, root: Node): Map<string, Touched> {
  const touched = new Map<string, Touched>()
  const entry = (id: string) => {
    let t = touched.get(id)
    if (!t) {
      t = { keys: new Set() }
      touched.set(id, t)
    }
    return t
  }
  for (const [type, keys] of tr.changed) {
    if (type === root) {
      for (const key of keys) if (key !== null) entry(key).keys.add('*')
      continue
    }
    // Walk up to the child of the root: its key is the entry's id; the level below says which
    // of its keys changed (only the entry's own keys matter for the essential-field rule).
    let child: Node = type
    let below: Node | null = null
    while (child._item !== null && child._item.parent !== root) {
      below = child
      const parent: Node | Y.ID | null = child._item.parent
      if (parent === null || parent instanceof Y.ID) break
      child = parent
    }
    const item = child._item
    if (item === null || item.parent !== root || item.parentSub === null) continue
    const t = entry(item.parentSub)
    if (below === null) for (const key of keys) if (key !== null) t.keys.add(key)
  }
  return touched
}

/** Was this map created in the transaction (a new entry, not an edit of an existing one)? */
function isNew(map: Node, tr: Y.Transaction): boolean {
  const item = map._item
  if (item === null) return false
  return item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0)
}

/** Cut a string or a Y.Text to `max` UTF-16 units, never splitting a surrogate pair. */
function cutAt(text: string, max: number): number {
  return /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max
}

function truncateText(value: Y.Text, max: number): boolean {
  if (value.length <= max) return false
  const at = cutAt(value.toString(), max)
  value.delete(at, value.length - at)
  return true
}

/** Cut over-long texts of a variants list and drop what follows its twentieth non-empty text. */
function repairVariants(list: Y.Array<unknown>): void {
  let kept = 0
  const values = list.toArray()
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    const text = value instanceof Y.Text ? value.toString() : typeof value === 'string' ? value : ''
    if (!text) continue
    if (kept === ITEM_LIMITS.variants) {
      list.delete(i, values.length - i)
      return
    }
    kept++
    if (value instanceof Y.Text) truncateText(value, ITEM_LIMITS.caption)
    else if (text.length > ITEM_LIMITS.caption) {
      list.delete(i, 1)
      list.insert(i, [text.slice(0, cutAt(text, ITEM_LIMITS.caption))])
    }
  }
}

function repairShared(map: Y.Map<unknown>, key: string, max: number): void {
  const value = map.get(key)
  if (value instanceof Y.Text) truncateText(value, max)
  else if (typeof value === 'string' && value.length > max)
    map.set(key, value.slice(0, cutAt(value, max)))
}

/** Check and repair the touched items of `items`; returns what was repaired. */
export function checkItems(
  items: Y.Map<unknown>,
  tr: Y.Transaction,
  onRepair: (repair: Repair) => void,
): void {
  for (const [id, { keys }] of touchedEntries(tr, items)) {
    const map = items.get(id)
    if (map === undefined) continue // deleted
    if (!(map instanceof Y.Map)) throw new SchemaRefusal(`item ${id} is not a map`)
    const result = readItem(map)
    if ('issues' in result) {
      const essential = keys.has('*') || [...keys].some((key) => ESSENTIAL.has(key))
      if (isNew(map, tr) || essential)
        throw new SchemaRefusal(`item ${id} unreadable: ${result.issues.join('; ')}`)
      continue
    }
    for (const problem of result.problems) {
      const [field = '', network] = problem.field.split('.')
      if (field === 'why') repairShared(map, 'why', ITEM_LIMITS.why)
      else if (field === 'captions' && network) {
        const captions = map.get('captions')
        if (captions instanceof Y.Map) repairShared(captions, network, ITEM_LIMITS.caption)
      } else if (field === 'variants' && network) {
        const list = (map.get('variants') as Y.Map<unknown> | undefined)?.get?.(network)
        if (list instanceof Y.Array) repairVariants(list)
      } else if (field in result.item) {
        // A plain field: readItem already worked out the value to show (cut, filtered or the
        // default); writing it makes the document say what every reader shows.
        map.set(field, result.item[field as keyof typeof result.item])
      }
      onRepair({ entry: id, field: problem.field })
    }
  }
}

/** Campaigns are plain fields: a touched one that no longer parses is refused. */
export function checkCampaigns(campaigns: Y.Map<unknown>, tr: Y.Transaction): void {
  for (const [id, { keys }] of touchedEntries(tr, campaigns)) {
    const map = campaigns.get(id)
    if (map === undefined) continue
    if (!(map instanceof Y.Map)) throw new SchemaRefusal(`campaign ${id} is not a map`)
    const parsed = Campaign.safeParse(map.toJSON())
    if (parsed.success) continue
    // Only refuse what this change broke, not a campaign that was already unreadable.
    const broken = parsed.error.issues.some(
      (issue) => keys.has('*') || keys.has(String(issue.path[0])),
    )
    if (isNew(map, tr) || broken)
      throw new SchemaRefusal(`campaign ${id} invalid: ${parsed.error.issues[0]?.message}`)
  }
}
