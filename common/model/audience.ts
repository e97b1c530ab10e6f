import type { Item, ItemStatus } from './item'

/**
 * Who sees an item right now. The rule is the one employees' queues apply (published, inside its
 * publish/expiry window); it reads only the item's own fields, so it holds whichever document the
 * item lives in (the shared queue or the curators' curation document).
 */
export type Audience =
  /** In every member's queue (until `until`, when it expires). */
  | { kind: 'everyone'; until: string | null }
  /** Published, but employees get it only from `from`. */
  | { kind: 'scheduled'; from: string }
  /** Published, but its expiry passed: no longer in employees' queues. */
  | { kind: 'expired'; at: string }
  /** Not published: only champions and admins see it (a proposal's author sees its status). */
  | { kind: 'curators'; status: Exclude<ItemStatus, 'published'> }

export type AudienceFields = Pick<Item, 'status' | 'publishAt' | 'expiresAt'>

export function audienceOf(item: AudienceFields, now: Date): Audience {
  if (item.status !== 'published') return { kind: 'curators', status: item.status }
  const at = now.getTime()
  if (item.expiresAt && Date.parse(item.expiresAt) <= at) {
    return { kind: 'expired', at: item.expiresAt }
  }
  if (item.publishAt && Date.parse(item.publishAt) > at) {
    return { kind: 'scheduled', from: item.publishAt }
  }
  return { kind: 'everyone', until: item.expiresAt }
}

/** Whether an item belongs in an employee's queue right now. */
export function reachesEmployees(item: AudienceFields, now: Date): boolean {
  return audienceOf(item, now).kind === 'everyone'
}
