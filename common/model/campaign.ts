import { z } from 'zod'
import { plainText } from './bidi'
import { Id } from './ids'
import { Objective, Timestamp } from './item'

export const Campaign = z.object({
  id: Id,
  name: plainText().trim().min(1, 'campaign name is empty').max(200),
  objective: Objective,
  /** What is counted, e.g. "confirmed sign-ups". */
  goalMetric: z.string().trim().min(1, 'goal metric is empty').max(120),
  goalTarget: z.number().int().positive('goal target must be a positive whole number'),
  deadline: Timestamp,
})
export type Campaign = z.infer<typeof Campaign>

export const NewCampaign = Campaign.omit({ id: true })
export type NewCampaign = z.infer<typeof NewCampaign>
