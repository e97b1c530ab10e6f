import { z } from 'zod'
import { plainText } from './bidi'
import { Id } from './ids'
import { HttpUrl, Objective, Timestamp } from './item'
import { lazySchema } from './lazy'
import { Network } from './networks'

/**
 * Share ids are opaque (utm_content): 20 characters of Crockford's base32 in lower case, as
 * `newShareId()` (common/share/tracked-link.ts) makes them; nothing about the person.
 */
export const ShareId = lazySchema(() =>
  z.string().regex(/^[0-9a-hjkmnp-tv-z]{20}$/, 'share id must be 20 base32 characters'),
)

/**
 * Proof that a share is mine: HMAC-SHA256(device secret, share id), base64url. The relay keeps
 * only its SHA-256 (the verifier), so it can tell the owner's reports apart without knowing who
 * the owner is, and a device can later ask for its own shares' clicks with the same proof.
 */
export const OwnerProof = lazySchema(() =>
  z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'proof must be 43 base64url characters (HMAC-SHA256)'),
)
export type OwnerProof = z.infer<typeof OwnerProof>

/** One share, as the employee's core records it and as it is reported to the relay. */
export const ShareEvent = lazySchema(() =>
  z.object({
    id: ShareId,
    itemId: Id,
    network: Network,
    objective: Objective,
    campaignId: Id.nullable(),
    sharedAt: Timestamp,
    /** Sent with every report (the relay requires it); the core's own records leave it out. */
    proof: OwnerProof.optional(),
  }),
)
export type ShareEvent = z.infer<typeof ShareEvent>

/**
 * The relay's answer to a share report: every id of the report is either accepted now or a known
 * duplicate of the same owner's earlier report. The core marks nothing delivered without it.
 */
export const ShareReceipt = lazySchema(() =>
  z.object({
    accepted: z.number().int().nonnegative(),
    duplicates: z.number().int().nonnegative(),
    acceptedIds: z.array(ShareId),
    duplicateIds: z.array(ShareId),
  }),
)
export type ShareReceipt = z.infer<typeof ShareReceipt>

/** What an employee proposes for the queue: a link, a note for champions, a caption. */
export const NewProposal = lazySchema(() =>
  z.object({
    url: HttpUrl,
    title: plainText().trim().min(1, 'title is empty').max(300),
    note: plainText().trim().max(2_000),
    caption: plainText().trim().max(3_000),
  }),
)
export type NewProposal = z.infer<typeof NewProposal>

/** A proposal as sent to the relay: the id makes re-sending harmless. */
export const ProposalSubmission = lazySchema(() =>
  NewProposal.extend({ id: Id, proposedAt: Timestamp }),
)
export type ProposalSubmission = z.infer<typeof ProposalSubmission>

/** The relay's answer to a proposal: the id it stored (now or before). */
export const ProposalReceipt = lazySchema(() => z.object({ id: Id, created: z.boolean() }))
export type ProposalReceipt = z.infer<typeof ProposalReceipt>

export const ProposalState = lazySchema(() =>
  z.enum(['sending', 'pending', 'approved', 'rejected']),
)
export type ProposalState = z.infer<typeof ProposalState>

/** What the author sees of a proposal. */
export const ProposalView = lazySchema(() =>
  ProposalSubmission.extend({
    state: ProposalState,
    reason: z.string().nullable(),
    decidedAt: Timestamp.nullable(),
  }),
)
export type ProposalView = z.infer<typeof ProposalView>

export const PersonalStats = lazySchema(() =>
  z.object({
    today: z.number().int(),
    week: z.number().int(),
    month: z.number().int(),
    total: z.number().int(),
    byNetwork: z.partialRecord(Network, z.number().int()),
    byObjective: z.partialRecord(Objective, z.number().int()),
    currentStreak: z.number().int(),
    longestStreak: z.number().int(),
    daily: z.array(z.object({ date: z.string(), count: z.number().int() })),
  }),
)
export type PersonalStats = z.infer<typeof PersonalStats>
