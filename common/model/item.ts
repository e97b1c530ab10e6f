import { z } from 'zod'
import { plainText } from './bidi'
import { Id } from './ids'
import { lazySchema } from './lazy'
import { Network } from './networks'
import { describeIssues } from './validation'

export const OBJECTIVES = ['awareness', 'campaign', 'talent'] as const
export const Objective = lazySchema(() => z.enum(OBJECTIVES))
export type Objective = z.infer<typeof Objective>

export const SOURCE_KINDS = ['internal', 'third-party', 'employee'] as const
export const SourceKind = lazySchema(() => z.enum(SOURCE_KINDS))
export type SourceKind = z.infer<typeof SourceKind>

/** The life of an item: champions draft, employees submit, champions approve and publish. */
export const ITEM_STATUSES = ['draft', 'submitted', 'approved', 'published', 'archived'] as const
export const ItemStatus = lazySchema(() => z.enum(ITEM_STATUSES))
export type ItemStatus = z.infer<typeof ItemStatus>

/** Only http(s) links are ever stored: anything else could run code when opened. */
export const HttpUrl = lazySchema(() =>
  z
    .string()
    .trim()
    .max(2048, 'URL is longer than 2048 characters')
    .refine((value) => {
      try {
        const url = new URL(value)
        return url.protocol === 'http:' || url.protocol === 'https:'
      } catch {
        return false
      }
    }, 'must be an absolute http(s) URL'),
)

/** ISO-8601 timestamps with a time zone, as `Date.prototype.toISOString` writes them. */
export const Timestamp = lazySchema(() =>
  z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }),
)

/**
 * The limits of an item's texts, shared by the schemas, the studio's editors (which refuse a
 * keystroke or paste that would cross them) and the tolerant reading of the documents.
 */
export const ITEM_LIMITS = {
  title: 300,
  caption: 10_000,
  variants: 20,
  why: 5_000,
  topics: 20,
  topic: 60,
  source: 200,
} as const

export const Captions = lazySchema(() =>
  z.partialRecord(Network, plainText().max(ITEM_LIMITS.caption)),
)
export const CaptionVariants = lazySchema(() =>
  z.partialRecord(Network, z.array(plainText().max(ITEM_LIMITS.caption)).max(ITEM_LIMITS.variants)),
)

/** A champion's decision on an employee's proposal: who, when, and why when rejected. */
export const Moderation = lazySchema(() =>
  z.object({
    decision: z.enum(['approved', 'rejected']),
    by: Id,
    at: Timestamp,
    reason: plainText().max(1_000).nullable(),
  }),
)
export type Moderation = z.infer<typeof Moderation>

/** A curated item as plain data: what queries return and what the SQLite queue table mirrors. */
export const Item = lazySchema(() =>
  z.object({
    id: Id,
    // Texts drop bidi overrides (see bidi.ts): a title cannot be drawn as something else.
    title: plainText().trim().min(1, 'title is empty').max(ITEM_LIMITS.title),
    url: HttpUrl,
    source: plainText().max(ITEM_LIMITS.source),
    sourceKind: SourceKind,
    objective: Objective,
    topics: z.array(plainText().trim().min(1).max(ITEM_LIMITS.topic)).max(ITEM_LIMITS.topics),
    why: plainText().max(ITEM_LIMITS.why),
    captions: Captions,
    variants: CaptionVariants,
    imageUrl: HttpUrl.nullable(),
    status: ItemStatus,
    publishAt: Timestamp.nullable(),
    expiresAt: Timestamp.nullable(),
    priority: z.number().int().min(0).max(100),
    campaignId: Id.nullable(),
    authorId: Id,
    approverId: Id.nullable(),
    /** Set when a champion approves or rejects a proposal (items champions write have none). */
    moderation: Moderation.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }),
)
export type Item = z.infer<typeof Item>

/** What a champion supplies to create an item; the rest is filled in. */
export const NewItem = lazySchema(() =>
  Item.omit({
    id: true,
    authorId: true,
    approverId: true,
    moderation: true,
    createdAt: true,
    updatedAt: true,
  }).partial({
    source: true,
    sourceKind: true,
    topics: true,
    why: true,
    captions: true,
    variants: true,
    imageUrl: true,
    status: true,
    publishAt: true,
    expiresAt: true,
    priority: true,
    campaignId: true,
  }),
)
export type NewItem = z.infer<typeof NewItem>

/** Plain (last-writer-wins) fields a champion may change; texts are edited as collaborative text. */
export const ItemPatch = lazySchema(() =>
  Item.pick({
    title: true,
    url: true,
    source: true,
    sourceKind: true,
    objective: true,
    topics: true,
    imageUrl: true,
    status: true,
    publishAt: true,
    expiresAt: true,
    priority: true,
    campaignId: true,
  }).partial(),
)
export type ItemPatch = z.infer<typeof ItemPatch>

/** What every new item must be given; everything else has a default (see itemWithDefaults). */
export type ItemRequired = Pick<
  Item,
  'id' | 'title' | 'url' | 'objective' | 'authorId' | 'createdAt'
>
/** Fields a new item may set instead of their defaults. */
export type ItemOverrides = Partial<Omit<Item, keyof ItemRequired>>

/**
 * A new item's fields with the defaults filled in, NOT validated: tests build deliberately
 * invalid fixtures with it. Everything else goes through newItem. `required` is applied last, so
 * a stray key in `overrides` never changes an item's id, author or creation time.
 */
export function itemWithDefaults(required: ItemRequired, overrides: ItemOverrides = {}): Item {
  return {
    source: '',
    sourceKind: 'internal',
    topics: [],
    why: '',
    captions: {},
    variants: {},
    imageUrl: null,
    status: 'draft',
    publishAt: null,
    expiresAt: null,
    priority: 50,
    campaignId: null,
    approverId: null,
    moderation: null,
    updatedAt: required.createdAt,
    ...overrides,
    ...required,
  }
}

/**
 * The one way to make a new item (a champion's, a feed's draft, an employee's proposal): the
 * defaults filled in, then validated, since the parts come from people and feeds.
 */
export function newItem(
  required: ItemRequired,
  overrides: ItemOverrides = {},
): { item: Item } | { issues: string[] } {
  const parsed = Item.safeParse(itemWithDefaults(required, overrides))
  return parsed.success ? { item: parsed.data } : { issues: describeIssues(parsed.error) }
}
