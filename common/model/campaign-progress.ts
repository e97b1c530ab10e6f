import { campaignDaysLeft } from '../format/dates'
import type { BoardCounts } from './board'
import { type Campaign, campaignGoalKind } from './campaign'

export type CampaignProgress = {
  /** What counts so far (conversions, shares or clicks, by the campaign's goal kind). */
  value: number
  target: number
  /** value ÷ target, capped at 1. */
  fraction: number
  /** Calendar days left in the viewer's time zone (0 on its last day, -1 once passed). */
  daysLeft: number
  /** What must be reached per day from now on to meet the target by the deadline; 0 when met. */
  neededPerDay: number
  reached: boolean
  /** The deadline passed without reaching the target. */
  missed: boolean
}

/**
 * Progress and the pace needed by the deadline, from the board's counts for the campaign: one
 * function for the studio and the popover, so both windows say the same.
 */
export function campaignProgress(
  campaign: Campaign,
  counts: Pick<BoardCounts, 'shares' | 'clicks' | 'conversions'> | undefined,
  now: Date,
  timeZone?: string,
): CampaignProgress {
  const kind = campaignGoalKind(campaign)
  const value = counts ? counts[kind] : 0
  const target = campaign.goalTarget
  const { days: daysLeft } = campaignDaysLeft(campaign.deadline, now, timeZone)
  const remaining = Math.max(0, target - value)
  const reached = remaining === 0
  const missed = !reached && daysLeft < 0
  // Days still available including today: the last day counts as one.
  const daysAvailable = Math.max(1, daysLeft + 1)
  return {
    value,
    target,
    fraction: Math.min(1, value / target),
    daysLeft,
    neededPerDay: reached || missed ? 0 : Math.ceil(remaining / daysAvailable),
    reached,
    missed,
  }
}
