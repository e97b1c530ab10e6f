import * as Y from 'yjs'
import { type Campaign, Campaign as CampaignSchema } from '../model/campaign'
import {
  ITEM_LIMITS,
  type Item,
  type ItemPatch,
  Item as ItemSchema,
  itemWithDefaults,
} from '../model/item'
import { NETWORKS, type Network } from '../model/networks'
import {
  type Challenge,
  Challenge as ChallengeSchema,
  DEFAULT_POINT_WEIGHTS,
  MediaValue,
  PointWeights,
  type WorkspaceSettings,
} from '../model/recognition'
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

/**
 * A field that could not be read as it is in the document: a caption over the limit, a 21st
 * variant, a value of the wrong type. The item is still read (the field dropped, cut or set to
 * its default, so employees never see broken content) and champions are shown what to fix.
 */
export type ItemFieldProblem = {
  /** The field's path, e.g. `captions.linkedin`, `variants.x`, `why`, `priority`. */
  field: string
  code: 'fieldTooLong' | 'tooManyVariants' | 'invalidValue'
  /** The limit that was crossed, when there is one. */
  limit?: number
}

export type ReadItemResult = { item: Item; problems: ItemFieldProblem[] } | { issues: string[] }

/** Without these an item cannot be named, linked or attributed: it is refused, not repaired. */
const ESSENTIAL_FIELDS = ['id', 'url', 'authorId', 'createdAt'] as const
/**
 * Built once: a zod schema built per call (here, per item read) is compiled anew at its first
 * parse, which was most of a 1,000-item queue's start-up rebuild.
 */
const ESSENTIAL_SCHEMA = ItemSchema.pick({ id: true, url: true, authorId: true, createdAt: true })

/** Cut to at most `max` UTF-16 units without splitting a surrogate pair. */
function cut(value: string, max: number): string {
  if (value.length <= max) return value
  const end = /[\uD800-\uDBFF]/.test(value.charAt(max - 1)) ? max - 1 : max
  return value.slice(0, end)
}

/**
 * Turn an item's Y.Map into plain data. Any champion's client can write the document, so a bad
 * field is repaired (and reported in `problems`) rather than hiding the whole item from every
 * queue; only an item missing what identifies it (id, link, author, creation) is refused.
 */
export function readItem(map: ItemMap): ReadItemResult {
  const problems: ItemFieldProblem[] = []
  const raw: Record<string, unknown> = {}
  for (const field of PLAIN_ITEM_FIELDS) raw[field] = map.get(field)
  // Items written before moderation existed have no such field.
  raw.moderation ??= null
  const checked = ESSENTIAL_SCHEMA.safeParse(raw)
  if (!checked.success) return { issues: describeIssues(checked.error) }
  const defaults = itemWithDefaults({
    id: checked.data.id,
    url: checked.data.url,
    authorId: checked.data.authorId,
    createdAt: checked.data.createdAt,
    title: '',
    objective: 'awareness',
  })
  const item: Record<string, unknown> = { ...defaults }
  for (const field of PLAIN_ITEM_FIELDS) {
    if ((ESSENTIAL_FIELDS as readonly string[]).includes(field)) continue
    const parsed = ItemSchema.shape[field].safeParse(raw[field])
    if (parsed.success) {
      item[field] = parsed.data
    } else if (field === 'title' && typeof raw.title === 'string' && raw.title.trim()) {
      item.title = cut(raw.title.trim(), ITEM_LIMITS.title)
      problems.push({ field, code: 'fieldTooLong', limit: ITEM_LIMITS.title })
    } else if (field === 'topics' && Array.isArray(raw.topics)) {
      const topics = raw.topics.flatMap((topic) => {
        const one = ItemSchema.shape.topics.element.safeParse(topic)
        return one.success ? [one.data] : []
      })
      item.topics = topics.slice(0, ITEM_LIMITS.topics)
      problems.push({ field, code: 'invalidValue' })
    } else {
      // Dropped for its default (a bad status reads as a draft: hidden from employees).
      problems.push({ field, code: 'invalidValue' })
    }
  }
  if (typeof item.title !== 'string' || !item.title) {
    // No readable title: champions still get the item (to fix it), under its link.
    item.title = cut(checked.data.url, ITEM_LIMITS.title)
    if (!problems.some((p) => p.field === 'title'))
      problems.push({ field: 'title', code: 'invalidValue' })
  }

  const why = textOf(map.get('why')) ?? ''
  if (why.length > ITEM_LIMITS.why) {
    problems.push({ field: 'why', code: 'fieldTooLong', limit: ITEM_LIMITS.why })
  } else item.why = why

  const captions: Partial<Record<Network, string>> = {}
  const captionsMap = map.get('captions')
  if (captionsMap instanceof Y.Map) {
    for (const [network, value] of captionsMap.entries()) {
      // An empty caption is no suggestion: plain data leaves it out.
      const text = textOf(value)
      if (!text || !isNetwork(network)) continue
      if (text.length > ITEM_LIMITS.caption) {
        // Employees get no caption for this network rather than a broken one.
        problems.push({
          field: `captions.${network}`,
          code: 'fieldTooLong',
          limit: ITEM_LIMITS.caption,
        })
      } else captions[network] = text
    }
  }
  item.captions = captions

  const variants: Partial<Record<Network, string[]>> = {}
  const variantsMap = map.get('variants')
  if (variantsMap instanceof Y.Map) {
    for (const [network, list] of variantsMap.entries()) {
      if (!(list instanceof Y.Array) || !isNetwork(network)) continue
      const texts: string[] = []
      let tooLong = false
      for (const value of list.toArray()) {
        const text = textOf(value)
        if (!text) continue
        if (text.length > ITEM_LIMITS.caption) tooLong = true
        else texts.push(text)
      }
      if (tooLong) {
        problems.push({
          field: `variants.${network}`,
          code: 'fieldTooLong',
          limit: ITEM_LIMITS.caption,
        })
      }
      if (texts.length > ITEM_LIMITS.variants) {
        // The first twenty are kept, in document order, for every reader alike.
        problems.push({
          field: `variants.${network}`,
          code: 'tooManyVariants',
          limit: ITEM_LIMITS.variants,
        })
      }
      if (texts.length > 0) variants[network] = texts.slice(0, ITEM_LIMITS.variants)
    }
  }
  item.variants = variants

  const parsed = ItemSchema.safeParse(item)
  return parsed.success ? { item: parsed.data, problems } : { issues: describeIssues(parsed.error) }
}

const isNetwork = (value: string): value is Network =>
  (NETWORKS as readonly string[]).includes(value)

export type InvalidEntry = { id: string; issues: string[] }
export type FlaggedEntry = { id: string; problems: ItemFieldProblem[] }

/**
 * Every readable item; `invalid` lists entries that could not be read at all, `flagged` the items
 * read with a field repaired (see readItem).
 */
export function readItems(doc: Y.Doc): {
  items: Item[]
  invalid: InvalidEntry[]
  flagged: FlaggedEntry[]
} {
  const items: Item[] = []
  const invalid: InvalidEntry[] = []
  const flagged: FlaggedEntry[] = []
  for (const [id, map] of itemsMap(doc).entries()) {
    if (!(map instanceof Y.Map)) {
      invalid.push({ id, issues: ['not a map'] })
      continue
    }
    const result = readItem(map)
    if ('item' in result) {
      items.push(result.item)
      if (result.problems.length > 0) flagged.push({ id, problems: result.problems })
    } else invalid.push({ id, issues: result.issues })
  }
  return { items, invalid, flagged }
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

/*
 * Workspace settings and challenges (issue 9, points 2 and 6), in the queue document so every
 * member reads them and curators write them:
 *
 *   settings:   Y.Map  { points: PointWeights, value: MediaValue | null }  plain JSON values
 *   challenges: Y.Map<challengeId, Challenge>                             plain JSON values
 *
 * Reads are tolerant (an absent or invalid entry reads as the default, or is skipped); the relay
 * refuses writes that do not parse (sync-server/validation).
 */
export function settingsMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>('settings')
}

export function challengesMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>('challenges')
}

export function readWorkspaceSettings(doc: Y.Doc): WorkspaceSettings {
  const map = settingsMap(doc)
  const points = PointWeights.safeParse(map.get('points'))
  const value = MediaValue.safeParse(map.get('value'))
  return {
    points: points.success ? points.data : DEFAULT_POINT_WEIGHTS,
    value: value.success ? value.data : null,
  }
}

/** Set the given fields (already valid); `value: null` clears CPC/CPM. */
export function writeWorkspaceSettings(doc: Y.Doc, patch: Partial<WorkspaceSettings>): void {
  doc.transact(() => {
    const map = settingsMap(doc)
    if (patch.points !== undefined) map.set('points', { ...patch.points })
    if (patch.value !== undefined) {
      if (patch.value === null) map.delete('value')
      else map.set('value', { ...patch.value })
    }
  })
}

export function readChallenges(doc: Y.Doc): { challenges: Challenge[]; invalid: InvalidEntry[] } {
  const challenges: Challenge[] = []
  const invalid: InvalidEntry[] = []
  for (const [id, value] of challengesMap(doc).entries()) {
    const parsed = ChallengeSchema.safeParse(value)
    if (parsed.success && parsed.data.id === id) challenges.push(parsed.data)
    else
      invalid.push({
        id,
        issues: parsed.success ? ['id does not match its key'] : describeIssues(parsed.error),
      })
  }
  challenges.sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id))
  return { challenges, invalid }
}

/** Add or replace a challenge (already valid). */
export function upsertChallenge(doc: Y.Doc, challenge: Challenge): void {
  challengesMap(doc).set(challenge.id, JSON.parse(JSON.stringify(challenge)) as unknown)
}

export function removeChallenge(doc: Y.Doc, id: string): boolean {
  const map = challengesMap(doc)
  if (!map.has(id)) return false
  map.delete(id)
  return true
}
