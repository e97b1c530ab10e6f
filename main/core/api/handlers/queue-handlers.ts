import { ContractError } from '../../../../common/contract/messages'
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
import { parseOrThrow, ValidationError } from '../../../../common/model/validation'
import { API_ORIGIN } from '../context'
import { curator, type HandlerGroup, readBack, requireCampaign, requireItem } from './types'

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
    ctx.joined()
    return ctx.store.queue.list(filter)
  },

  'item.get': (ctx, { id }) => {
    ctx.joined()
    const item = ctx.store.queue.get(id)
    if (!item) throw new ContractError('not_found', `No item "${id}" in the queue`)
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
    joined.sync.docs.queue.transact(() => insertItem(joined.sync.docs.queue, item), API_ORIGIN)
    return readBack(joined, item.id)
  },

  'item.update': (ctx, { id, patch }) => {
    const joined = curator(ctx, 'edit items')
    requireItem(joined, id)
    requireCampaign(joined, patch.campaignId)
    const doc = joined.sync.docs.queue
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
    doc.transact(() => patchItem(doc, id, full, ctx.now()), API_ORIGIN)
    return readBack(joined, id)
  },

  'item.setCaption': (ctx, { id, network, text }) => {
    const joined = curator(ctx, 'edit captions')
    requireItem(joined, id)
    const doc = joined.sync.docs.queue
    doc.transact(() => setCaption(doc, id, network, text, ctx.now()), API_ORIGIN)
    return readBack(joined, id)
  },

  'item.setWhy': (ctx, { id, text }) => {
    const joined = curator(ctx, 'edit items')
    requireItem(joined, id)
    const doc = joined.sync.docs.queue
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
