import { z } from 'zod'
import { Id } from './ids'
import { Moderation, Timestamp } from './item'
import { lazySchema } from './lazy'

/**
 * What the relay tells a proposal's author about it (`GET /api/v1/proposals/mine`): its fate
 * only, never colleagues' proposals. The author's core keeps its own submissions locally and
 * asks for this, since employees do not sync the curation document where proposals live.
 */
export const ProposalFate = lazySchema(() =>
  z.object({
    id: Id,
    /** pending: awaiting review; approved or rejected: decided (published or not). */
    state: z.enum(['pending', 'approved', 'rejected']),
    moderation: Moderation.nullable(),
    updatedAt: Timestamp,
  }),
)
export type ProposalFate = z.infer<typeof ProposalFate>

export const ProposalFates = lazySchema(() =>
  z.object({ proposals: z.array(ProposalFate).max(5_000) }),
)
export type ProposalFates = z.infer<typeof ProposalFates>
