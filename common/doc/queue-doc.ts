import * as Y from 'yjs'
import { type Campaign, Campaign as CampaignSchema } from '../model/campaign'
import { type Item, type ItemPatch, Item as ItemSchema } from '../model/item'
import { NETWORKS, type Network } from '../model/networks'
import { describeIssues } from '../model/validation'
import { setText } from './text'

/**
 * The `queue` document:
 *
 *   items:     Y.Map<itemId, Y.Map>   plain fields are last-writer-wins values;
 *                                     `why` is a Y.Text, `captions` a Y.Map<network, Y.Text>,
 *                                     `variants` a Y.Map<network, Y.Array<Y.Text>>.
 *   campaigns: Y.Map<campaignId, Y.Map> plain fields only.
 *
 * Everything is validated on the way out (readItems), because any champion's client can write.
 */
export type ItemMap = Y.Map<unknown>

const PLAIN_ITEM_FIELDS = [
  'id',
  'title',
  'url',
  'source',
  'sourceKind',
  'objective',
  'topics',
  'imageUrl',
  'status',
  'publishAt',
  'expiresAt',
  'priority',
  'campaignId',
  'authorId',
  'approverId',
  'moderation',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof Item)[]

export function itemsMap(doc: Y.Doc): Y.Map<ItemMap> {
  return doc.getMap<ItemMap>('items')
}

export function campaignsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>('campaigns')
}

/** Add a new item; `item` must already be valid. */
export function insertItem(doc: Y.Doc, item: Item): void {
  doc.transact(() => {
    const map = new Y.Map<unknown>()
    itemsMap(doc).set(item.id, map)
    for (const field of PLAIN_ITEM_FIELDS) map.set(field, item[field])
    map.set('why', new Y.Text(item.why))
    // Every shared text and list exists from the start, empty if need be: two champions who
    // each created "the" caption of a network later would race, and one text would be lost.
    const captions = new Y.Map<Y.Text>()
    map.set('captions', captions)
    for (const network of NETWORKS) captions.set(network, new Y.Text(item.captions[network] ?? ''))
    const variants = new Y.Map<Y.Array<Y.Text>>()
    map.set('variants', variants)
    for (const network of NETWORKS) {
      const list = item.variants[network] ?? []
      variants.set(network, Y.Array.from(list.map((v) => new Y.Text(v))))
    }
  })
}

/** Plain fields only; `approverId` is set by the core when it approves, never by a client. */
export function patchItem(
  doc: Y.Doc,
  id: string,
  patch: ItemPatch & { approverId?: string },
  now: string,
): void {
  const map = itemsMap(doc).get(id)
  if (!map) throw new Error(`No item "${id}" in the queue`)
  doc.transact(() => {
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) map.set(key, value)
    }
    map.set('updatedAt', now)
  })
}

function childMap<T>(parent: ItemMap, key: string): Y.Map<T> {
  const existing = parent.get(key)
  if (existing instanceof Y.Map) return existing as Y.Map<T>
  const created = new Y.Map<T>()
  parent.set(key, created)
  return created
}

/** The collaborative caption of an item for a network, created empty on first use. */
export function captionText(doc: Y.Doc, id: string, network: Network): Y.Text {
  const map = itemsMap(doc).get(id)
  if (!map) throw new Error(`No item "${id}" in the queue`)
  let text: Y.Text | undefined
  doc.transact(() => {
    const captions = childMap<Y.Text>(map, 'captions')
    const existing = captions.get(network)
    if (existing instanceof Y.Text) {
      text = existing
    } else {
      text = new Y.Text()
      captions.set(network, text)
    }
  })
  return text as unknown as Y.Text
}

/** The collaborative "why it matters" note of an item. */
export function whyText(doc: Y.Doc, id: string): Y.Text {
  const map = itemsMap(doc).get(id)
  if (!map) throw new Error(`No item "${id}" in the queue`)
  const existing = map.get('why')
  if (existing instanceof Y.Text) return existing
  const created = new Y.Text()
  map.set('why', created)
  return created
}

export function setCaption(doc: Y.Doc, id: string, network: Network, value: string, now: string) {
  doc.transact(() => {
    setText(captionText(doc, id, network), value)
    itemsMap(doc).get(id)?.set('updatedAt', now)
  })
}

function textOf(value: unknown): string | undefined {
  if (value instanceof Y.Text) return value.toString()
  if (typeof value === 'string') return value
  return undefined
}

/** Turn an item's Y.Map into plain data, or explain why it is not a valid item. */
export function readItem(map: ItemMap): { item: Item } | { issues: string[] } {
  const raw: Record<string, unknown> = {}
  for (const field of PLAIN_ITEM_FIELDS) raw[field] = map.get(field)
  // Items written before moderation existed have no such field.
  raw.moderation ??= null
  raw.why = textOf(map.get('why')) ?? ''
  const captions: Record<string, string> = {}
  const captionsMap = map.get('captions')
  if (captionsMap instanceof Y.Map) {
    for (const [network, value] of captionsMap.entries()) {
      // An empty caption is no suggestion: plain data leaves it out.
      const text = textOf(value)
      if (text) captions[network] = text
    }
  }
  raw.captions = captions
  const variants: Record<string, string[]> = {}
  const variantsMap = map.get('variants')
  if (variantsMap instanceof Y.Map) {
    for (const [network, list] of variantsMap.entries()) {
      if (list instanceof Y.Array) {
        const texts = list.toArray().flatMap((v) => {
          const text = textOf(v)
          return text ? [text] : []
        })
        if (texts.length > 0) variants[network] = texts
      }
    }
  }
  raw.variants = variants
  const parsed = ItemSchema.safeParse(raw)
  return parsed.success ? { item: parsed.data } : { issues: describeIssues(parsed.error) }
}

export type InvalidEntry = { id: string; issues: string[] }

export function readItems(doc: Y.Doc): { items: Item[]; invalid: InvalidEntry[] } {
  const items: Item[] = []
  const invalid: InvalidEntry[] = []
  for (const [id, map] of itemsMap(doc).entries()) {
    if (!(map instanceof Y.Map)) {
      invalid.push({ id, issues: ['not a map'] })
      continue
    }
    const result = readItem(map)
    if ('item' in result) items.push(result.item)
    else invalid.push({ id, issues: result.issues })
  }
  return { items, invalid }
}

export function upsertCampaign(doc: Y.Doc, campaign: Campaign): void {
  doc.transact(() => {
    const campaigns = campaignsMap(doc)
    let map = campaigns.get(campaign.id)
    if (!(map instanceof Y.Map)) {
      map = new Y.Map<unknown>()
      campaigns.set(campaign.id, map)
    }
    for (const [key, value] of Object.entries(campaign)) map.set(key, value)
  })
}

export function readCampaigns(doc: Y.Doc): { campaigns: Campaign[]; invalid: InvalidEntry[] } {
  const campaigns: Campaign[] = []
  const invalid: InvalidEntry[] = []
  for (const [id, map] of campaignsMap(doc).entries()) {
    const parsed = CampaignSchema.safeParse(map instanceof Y.Map ? map.toJSON() : map)
    if (parsed.success) campaigns.push(parsed.data)
    else invalid.push({ id, issues: describeIssues(parsed.error) })
  }
  return { campaigns, invalid }
}
