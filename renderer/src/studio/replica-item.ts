import { useMemo, useSyncExternalStore } from 'react'
import * as Y from 'yjs'
import { type ItemFieldProblem, itemsMap, readItem } from '../../../common/doc/queue-doc'
import type { Network } from '../../../common/model/networks'

/**
 * Reading an item's collaborative texts out of the window's replica. Any champion's client can
 * write the document, so every lookup checks types instead of trusting the shape.
 */
export function replicaItem(doc: Y.Doc, id: string): Y.Map<unknown> | null {
  const map = itemsMap(doc).get(id)
  return map instanceof Y.Map ? map : null
}

export function replicaWhy(doc: Y.Doc, id: string): Y.Text | null {
  const why = replicaItem(doc, id)?.get('why')
  return why instanceof Y.Text ? why : null
}

export function replicaCaption(doc: Y.Doc, id: string, network: Network): Y.Text | null {
  const captions = replicaItem(doc, id)?.get('captions')
  if (!(captions instanceof Y.Map)) return null
  const text = captions.get(network)
  return text instanceof Y.Text ? text : null
}

export function replicaVariants(doc: Y.Doc, id: string, network: Network): Y.Text[] {
  const variants = replicaItem(doc, id)?.get('variants')
  if (!(variants instanceof Y.Map)) return []
  const list = variants.get(network)
  if (!(list instanceof Y.Array)) return []
  return list.toArray().filter((value): value is Y.Text => value instanceof Y.Text)
}

/** Append a variant; Y.Array inserts from two champions at once are both kept. */
export function addVariant(doc: Y.Doc, id: string, network: Network): void {
  const item = replicaItem(doc, id)
  if (!item) return
  doc.transact(() => {
    let variants = item.get('variants')
    if (!(variants instanceof Y.Map)) {
      variants = new Y.Map<unknown>()
      item.set('variants', variants)
    }
    const map = variants as Y.Map<unknown>
    let list = map.get(network)
    if (!(list instanceof Y.Array)) {
      list = new Y.Array<Y.Text>()
      map.set(network, list)
    }
    ;(list as Y.Array<Y.Text>).push([new Y.Text()])
    item.set('updatedAt', new Date().toISOString())
  })
}

export function removeVariant(doc: Y.Doc, id: string, network: Network, text: Y.Text): void {
  const variants = replicaItem(doc, id)?.get('variants')
  if (!(variants instanceof Y.Map)) return
  const list = variants.get(network)
  if (!(list instanceof Y.Array)) return
  const index = list.toArray().indexOf(text)
  if (index >= 0) list.delete(index, 1)
}

/**
 * A key that changes when the item's structure does (appears, a caption or variant is added or
 * removed) but not on every keystroke, so editors are not re-rendered while people type.
 */
function structureKey(doc: Y.Doc, id: string): string {
  const item = replicaItem(doc, id)
  if (!item) return ''
  const parts: string[] = ['item']
  const captions = item.get('captions')
  if (captions instanceof Y.Map) parts.push(`c:${[...captions.keys()].sort().join(',')}`)
  const variants = item.get('variants')
  if (variants instanceof Y.Map) {
    for (const [network, list] of variants.entries()) {
      if (list instanceof Y.Array) parts.push(`v:${network}:${list.length}`)
    }
  }
  if (item.get('why') instanceof Y.Text) parts.push('why')
  return parts.sort().join('|')
}

/** useSyncExternalStore's subscribe: any change to any item of `doc` (none without a doc). */
function subscribeItems(doc: Y.Doc | null): (onChange: () => void) => () => void {
  return (onChange) => {
    if (!doc) return () => {}
    const items = itemsMap(doc)
    items.observeDeep(onChange)
    return () => items.unobserveDeep(onChange)
  }
}

export function useItemStructure(doc: Y.Doc | null, id: string): string {
  return useSyncExternalStore(subscribeItems(doc), () => (doc ? structureKey(doc, id) : ''))
}

const textKeys = new WeakMap<Y.Text, number>()
let nextTextKey = 1

/** A stable React key for a Y.Text (variants move when colleagues add or remove some). */
export function textKey(text: Y.Text): number {
  let key = textKeys.get(text)
  if (key === undefined) {
    key = nextTextKey++
    textKeys.set(text, key)
  }
  return key
}

/** Re-render with a string snapshot of the item that changes only when `snapshot` does. */
function useItemSnapshot(
  doc: Y.Doc | null,
  id: string,
  snapshot: (item: Y.Map<unknown>) => string,
) {
  return useSyncExternalStore(subscribeItems(doc), () => {
    const item = doc ? replicaItem(doc, id) : null
    return item ? snapshot(item) : ''
  })
}

/** The networks whose caption really has text (tabs mark them), as the replica holds them now. */
export function useCaptionedNetworks(doc: Y.Doc | null, id: string): ReadonlySet<string> {
  const key = useItemSnapshot(doc, id, (item) => {
    const captions = item.get('captions')
    if (!(captions instanceof Y.Map)) return ''
    return [...captions.entries()]
      .filter(([, text]) => text instanceof Y.Text && text.length > 0)
      .map(([network]) => network)
      .sort()
      .join(',')
  })
  return useMemo(() => new Set(key ? key.split(',') : []), [key])
}

/**
 * What readItem had to repair in this item (a caption over the limit, a 21st variant, …), so
 * champions see what employees are not getting.
 */
export function useItemProblems(doc: Y.Doc | null, id: string): ItemFieldProblem[] {
  const key = useItemSnapshot(doc, id, (item) => {
    const result = readItem(item)
    return JSON.stringify('item' in result ? result.problems : [])
  })
  return useMemo(() => (key ? (JSON.parse(key) as ItemFieldProblem[]) : []), [key])
}
