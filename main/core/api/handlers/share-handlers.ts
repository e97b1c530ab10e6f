import { refreshFates, withFates } from '../../shares/proposal-fates'
import type { HandlerGroup } from './types'

/** The employee's popover: my queue, sharing, my stats, my proposals. */
export const shareHandlers: HandlerGroup<
  'queue.forMe' | 'share.perform' | 'stats.mine' | 'proposal.create' | 'proposal.listMine'
> = {
  // From SQLite alone: the first screen is answered before the replicas load (core.ts).
  'queue.forMe': (ctx, filter) => ctx.shares.forMe(ctx.session(), filter, new Date(ctx.now())),

  'share.perform': async (ctx, params) => {
    const outcome = await ctx.shares.perform(
      ctx.joined(),
      params,
      ctx.store.settings.get(),
      new Date(ctx.now()),
    )
    // A nudge offered this item: it worked (the model learns from it).
    ctx.nudges.itemShared(params.itemId)
    return outcome
  },

  // Stats are personal and local: they work before joining and after leaving too.
  'stats.mine': (ctx) => ctx.shares.statsMine(ctx.store.settings.get(), new Date(ctx.now())),

  'proposal.create': (ctx, proposal) =>
    ctx.shares.createProposal(ctx.joined(), proposal, new Date(ctx.now())),

  'proposal.listMine': async (ctx) => {
    const joined = ctx.joined()
    // Proposals are reviewed in the curation document, which employees do not hold: the relay
    // tells the author the fate of their own.
    const fates = await refreshFates(joined.session)
    return withFates(ctx.shares.listMine(ctx.joined()), fates)
  },
}
