import * as Y from 'yjs'
import { Challenge, MediaValue, PointWeights } from '../../common/model/recognition'
import { SchemaRefusal } from './items'

/** Keys of the queue document's `settings` map and what each must hold. */
const SETTINGS: Record<string, { safeParse(value: unknown): { success: boolean } }> = {
  points: PointWeights,
  value: MediaValue,
}

/** Keys of `map` this transaction set or deleted (the map holds plain JSON values only). */
function changedKeys(map: Y.Map<unknown>, tr: Y.Transaction): string[] {
  const root = map as unknown as Node
  const keys = tr.changed.get(root)
  if (!keys) {
    // A shared type nested under an entry changed: the map was written with something that
    // is not a plain value, which nothing we write does.
    for (const type of tr.changed.keys()) {
      if (type !== root && isUnder(type, root)) {
        throw new SchemaRefusal('settings and challenges hold plain values, not shared types')
      }
    }
    return []
  }
  return [...keys].filter((key): key is string => key !== null)
}

// biome-ignore lint/suspicious/noExplicitAny: Yjs keys tr.changed by AbstractType<YEvent<any>>
type Node = Y.AbstractType<Y.YEvent<any>>

function isUnder(type: Node, root: Node): boolean {
  let item = type._item
  while (item !== null) {
    const parent = item.parent
    if (parent === root) return true
    if (!(parent instanceof Y.AbstractType)) return false
    item = parent._item
  }
  return false
}

/** Point weights and CPC/CPM (curators write them): an invalid value is refused whole. */
export function checkSettings(map: Y.Map<unknown>, tr: Y.Transaction): void {
  for (const key of changedKeys(map, tr)) {
    if (!map.has(key)) continue
    const schema = SETTINGS[key]
    if (!schema) throw new SchemaRefusal(`settings has no "${key}"`)
    const value = map.get(key)
    if (value instanceof Y.AbstractType || !schema.safeParse(value).success) {
      throw new SchemaRefusal(`settings.${key} is not valid`)
    }
  }
}

/** Each challenge is one plain value keyed by its id; deleting one is always allowed. */
export function checkChallenges(map: Y.Map<unknown>, tr: Y.Transaction): void {
  for (const key of changedKeys(map, tr)) {
    if (!map.has(key)) continue
    const value = map.get(key)
    const parsed = value instanceof Y.AbstractType ? null : Challenge.safeParse(value)
    if (!parsed?.success) {
      const why = parsed && !parsed.success ? `: ${parsed.error.issues[0]?.message}` : ''
      throw new SchemaRefusal(`challenge ${key} invalid${why}`)
    }
    if (parsed.data.id !== key) throw new SchemaRefusal(`challenge ${key} holds another id`)
  }
}
