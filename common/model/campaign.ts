import { z } from 'zod'
import { plainText } from './bidi'
import { Id } from './ids'
import { Objective, Timestamp } from './item'
import { lazySchema } from './lazy'

/**
 * What a campaign's progress counts (issue 9, point 4): conversions reported with its key, shares
 * of its items, or clicks on those shares. Absent on campaigns made before it existed: conversions.
 */
export const CAMPAIGN_GOAL_KINDS = ['conversions', 'shares', 'clicks'] as const
export const CampaignGoalKind = lazySchema(() => z.enum(CAMPAIGN_GOAL_KINDS))
export type CampaignGoalKind = z.infer<typeof CampaignGoalKind>

export const Campaign = lazySchema(() =>
  z.object({
    id: Id,
    name: plainText().trim().min(1, 'campaign name is empty').max(200),
    objective: Objective,
    /** What is counted, e.g. "confirmed sign-ups". */
    goalMetric: z.string().trim().min(1, 'goal metric is empty').max(120),
    goalTarget: z.number().int().positive('goal target must be a positive whole number'),
    goalKind: CampaignGoalKind.optional(),
    deadline: Timestamp,
  }),
)
export type Campaign = z.infer<typeof Campaign>

export const NewCampaign = lazySchema(() => Campaign.omit({ id: true }))
export type NewCampaign = z.infer<typeof NewCampaign>

export function campaignGoalKind(campaign: Pick<Campaign, 'goalKind'>): CampaignGoalKind {
  return campaign.goalKind ?? 'conversions'
}
