import * as Y from 'yjs'
import { ContractError } from '../../../../common/contract/messages'
import { homeOf, moveItem } from '../../../../common/doc/curation-doc'
import { readMembers } from '../../../../common/doc/directory-doc'
import {
  campaignsMap,
  itemsMap,
  patchItem,
  readCampaigns,
  upsertCampaign,
} from '../../../../common/doc/queue-doc'
import { Campaign } from '../../../../common/model/campaign'
import type { Item, ItemPatch, Moderation } from '../../../../common/model/item'
import { parseOrThrow } from '../../../../common/model/validation'
import { API_ORIGIN } from '../context'
import {
  curator,
  definedOnly,
  type HandlerGroup,
  readBack,
  requireCampaign,
  requireSubmitted,
} from './types'

/** Moderation, campaign editing, members and feed curation: the champion studio's methods. */
export const studioHandlers: HandlerGroup<
  | 'item.approve'
  | 'item.reject'
  | 'campaign.update'
  | 'members.list'
  | 'feed.list'
  | 'feed.add'
  | 'feed.remove'
  | 'feed.poll'
> = {
  'item.approve': (ctx, { id, patch, publish }) => {
    const joined = curator(ctx, 'approve items')
    const home = requireSubmitted(joined, id)
    requireCampaign(joined, patch?.campaignId)
    const me = joined.session.claims.sub
    const now = ctx.now()
    const moderation: Moderation = { decision: 'approved', by: me, at: now, reason: null }
    // The decision wins over whatever the edit says about status and approver.
    const full: ItemPatch & { approverId: string } = {
      ...patch,
      status: publish ? 'published' : 'approved',
      approverId: me,
    }
    const target = homeOf(full.status ?? 'approved')
    if (target !== home.name) {
      // Published: the item, edit and decision included, moves to the queue every member reads.
      moveItem(
        home.doc,
        joined.sync.docs[target],
        id,
        (item) => ({ ...item, ...definedOnly(full), moderation, updatedAt: now }),
        API_ORIGIN,
      )
      return readBack(joined, id)
    }
    const doc = home.doc
    // One transaction: peers never see the edit without the decision, or the reverse.
    doc.transact(() => {
      patchItem(doc, id, full, now)
      itemsMap(doc).get(id)?.set('moderation', moderation)
    }, API_ORIGIN)
    return readBack(joined, id)
  },

  'item.reject': (ctx, { id, reason }) => {
    const joined = curator(ctx, 'reject items')
    const home = requireSubmitted(joined, id)
    const now = ctx.now()
    const moderation: Moderation = {
      decision: 'rejected',
      by: joined.session.claims.sub,
      at: now,
      reason,
    }
    const rejected = (item: Item): Item => ({
      ...item,
      status: 'archived',
      moderation,
      updatedAt: now,
    })
    if (home.name === 'queue') {
      // A proposal left in the queue by an older layout: the archive is curation's.
      moveItem(home.doc, joined.sync.docs.curation, id, rejected, API_ORIGIN)
      return readBack(joined, id)
    }
    const doc = home.doc
    doc.transact(() => {
      patchItem(doc, id, { status: 'archived' }, now)
      itemsMap(doc).get(id)?.set('moderation', moderation)
    }, API_ORIGIN)
    return readBack(joined, id)
  },

  'campaign.update': (ctx, { id, patch }) => {
    const joined = curator(ctx, 'edit campaigns')
    const doc = joined.sync.docs.queue
    if (!campaignsMap(doc).has(id)) {
      throw new ContractError('not_found', `No campaign "${id}" in this workspace`)
    }
    const current = readCampaigns(doc).campaigns.find((campaign) => campaign.id === id)
    if (!current) throw new ContractError('conflict', `Campaign "${id}" is not valid`)
    const next = parseOrThrow(Campaign, { ...current, ...patch, id }, 'campaign')
    const map = campaignsMap(doc).get(id)
    doc.transact(() => {
      if (!(map instanceof Y.Map)) {
        upsertCampaign(doc, next)
        return
      }
      // Only the fields in the patch: another champion's concurrent edit of another field (on
      // another core, before sync) is kept instead of being overwritten with this core's copy.
      for (const key of Object.keys(patch) as (keyof typeof patch)[]) {
        if (patch[key] !== undefined) map.set(key, next[key])
      }
    }, API_ORIGIN)
    return next
  },

  'members.list': (ctx) => {
    const members = readMembers(ctx.joined().sync.docs.directory)
    return members.sort((a, b) => a.displayName.localeCompare(b.displayName))
  },

  'feed.list': (ctx) => ctx.feeds.list(curator(ctx, 'see feed sources')),

  'feed.add': (ctx, { url }) => ctx.feeds.add(curator(ctx, 'add feed sources'), url),

  'feed.remove': (ctx, { id }) => {
    ctx.feeds.remove(curator(ctx, 'remove feed sources'), id)
    return null
  },

  'feed.poll': (ctx) => ctx.feeds.pollNow(curator(ctx, 'poll feeds')),
}
