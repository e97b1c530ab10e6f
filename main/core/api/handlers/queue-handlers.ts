import { ContractError } from '../../../../common/contract/messages'
import { homeOf, moveItem } from '../../../../common/doc/curation-doc'
import {
  insertItem,
  itemsMap,
  patchItem,
  readCampaigns,
  setCaption,
  upsertCampaign,
  whyText,
} from '../../../../common/doc/queue-doc'
import { setText } from '../../../../common/doc/text'
import { Campaign } from '../../../../common/model/campaign'
import { newId } from '../../../../common/model/ids'
import { type ItemPatch, type ItemStatus, newItem } from '../../../../common/model/item'
import { canCurate } from '../../../../common/model/member'
import { parseOrThrow, ValidationError } from '../../../../common/model/validation'
import { API_ORIGIN } from '../context'
import {
  curator,
  definedOnly,
  type HandlerGroup,
  readBack,
  requireCampaign,
  requireItem,
} from './types'

const APPROVED: readonly ItemStatus[] = ['approved', 'published']

/** Session, queue and item editing, campaigns, settings. */
export const queueHandlers: HandlerGroup<
  | 'status.get'
  | 'workspace.join'
  | 'workspace.leave'
  | 'queue.list'
  | 'item.get'
  | 'item.create'
  | 'item.update'
  | 'item.setCaption'
  | 'item.setWhy'
  | 'campaign.list'
  | 'campaign.create'
  | 'settings.get'
  | 'settings.update'
> = {
  'status.get': (ctx) => ctx.status(),

  'workspace.join': (ctx, { invitation }) => ctx.join(invitation),

  'workspace.leave': async (ctx) => {
    await ctx.leave()
    return null
  },

  'queue.list': (ctx, filter) => {
    const joined = ctx.joined()
    if (canCurate(joined.session.claims.role)) return ctx.store.queue.list(filter)
    // Employees see published items only, whatever they ask for (their table holds no other).
    if (filter.status && !filter.status.includes('published')) return []
    return ctx.store.queue.list({ ...filter, status: ['published'] })
  },

  'item.get': (ctx, { id }) => {
    const joined = ctx.joined()
    const item = ctx.store.queue.get(id)
    if (!item || (!canCurate(joined.session.claims.role) && item.status !== 'published')) {
      throw new ContractError('not_found', `No item "${id}" in the queue`)
    }
    return item
  },

  'item.create': (ctx, params) => {
    const joined = curator(ctx, 'create items')
    requireCampaign(joined, params.campaignId)
    const now = ctx.now()
    const status = params.status ?? 'draft'
    const me = joined.session.claims.sub
    const made = newItem(
      {
        id: newId('item'),
        title: params.title,
        url: params.url,
        objective: params.objective,
        authorId: me,
        createdAt: now,
      },
      { ...params, status, approverId: APPROVED.includes(status) ? me : null },
    )
    if ('issues' in made) throw new ValidationError('item', made.issues)
    const { item } = made
    // Published items go where every member reads; anything else stays with the curators.
    const doc = joined.sync.docs[homeOf(item.status)]
    doc.transact(() => insertItem(doc, item), API_ORIGIN)
    return readBack(joined, item.id)
  },

  'item.update': (ctx, { id, patch }) => {
    const joined = curator(ctx, 'edit items')
    const home = requireItem(joined, id)
    requireCampaign(joined, patch.campaignId)
    const doc = home.doc
    const current = itemsMap(doc).get(id)
    // A proposal's fate is decided by item.approve / item.reject, which record the decision.
    if (current?.get('status') === 'submitted' && patch.status && patch.status !== 'submitted') {
      throw new ContractError(
        'conflict',
        'Approve or reject a proposal from the review queue: its author is told the decision',
      )
    }
    const full: ItemPatch & { approverId?: string } = { ...patch }
    // Approving records who approved.
    if (patch.status && APPROVED.includes(patch.status) && current?.get('approverId') == null) {
      full.approverId = joined.session.claims.sub
    }
    const now = ctx.now()
    const target = patch.status ? homeOf(patch.status) : home.name
    if (target !== home.name) {
      // Publishing (or taking back) moves the item, with its current content, in one step.
      moveItem(
        doc,
        joined.sync.docs[target],
        id,
        (item) => ({ ...item, ...definedOnly(full), updatedAt: now }),
        API_ORIGIN,
      )
    } else doc.transact(() => patchItem(doc, id, full, now), API_ORIGIN)
    return readBack(joined, id)
  },

  'item.setCaption': (ctx, { id, network, text }) => {
    const joined = curator(ctx, 'edit captions')
    const { doc } = requireItem(joined, id)
    doc.transact(() => setCaption(doc, id, network, text, ctx.now()), API_ORIGIN)
    return readBack(joined, id)
  },

  'item.setWhy': (ctx, { id, text }) => {
    const joined = curator(ctx, 'edit items')
    const { doc } = requireItem(joined, id)
    doc.transact(() => {
      setText(whyText(doc, id), text)
      itemsMap(doc).get(id)?.set('updatedAt', ctx.now())
    }, API_ORIGIN)
    return readBack(joined, id)
  },

  'campaign.list': (ctx) => readCampaigns(ctx.joined().sync.docs.queue).campaigns,

  'campaign.create': (ctx, params) => {
    const joined = curator(ctx, 'create campaigns')
    const campaign = parseOrThrow(Campaign, { ...params, id: newId('camp') }, 'campaign')
    const doc = joined.sync.docs.queue
    doc.transact(() => upsertCampaign(doc, campaign), API_ORIGIN)
    return campaign
  },

  'settings.get': (ctx) => ctx.store.settings.get(),

  'settings.update': (ctx, patch) => ctx.store.settings.update(patch),
}
