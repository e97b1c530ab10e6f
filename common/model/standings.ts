import type { Network } from './networks'
import { type Challenge, type PointWeights, pointsFor } from './recognition'

/**
 * How points and challenge scores are counted, in one place for the relay's board and the
 * employee's core (so "my points" and the leaderboard never disagree):
 * - a share counts in the month (UTC) or challenge period it was made in, with all of its
 *   unique clicks and conversions (so a share's later clicks still count for its month);
 * - clicks are unique clicks (one visitor clicking again within 24 h earns nothing more);
 * - a challenge's filter (objective, source kind, network, campaign) applies to the share's item.
 */
export type ScoredShare = {
  sharedAt: string
  network: Network
  uniqueClicks: number
  conversions: number
  /** The shared item's facts, or null when unknown (then only a filter-less challenge counts it). */
  item: { objective: string; sourceKind: string; campaignId: string | null } | null
}

export type Tally = { shares: number; clicks: number; conversions: number }

/** `YYYY-MM` in UTC. */
export function monthOf(instant: Date | string): string {
  return new Date(instant).toISOString().slice(0, 7)
}

export function tally(shares: readonly ScoredShare[]): Tally {
  let clicks = 0
  let conversions = 0
  for (const share of shares) {
    clicks += share.uniqueClicks
    conversions += share.conversions
  }
  return { shares: shares.length, clicks, conversions }
}

export function inMonth(shares: readonly ScoredShare[], month: string): ScoredShare[] {
  return shares.filter((share) => monthOf(share.sharedAt) === month)
}

export function countsForChallenge(challenge: Challenge, share: ScoredShare): boolean {
  const at = Date.parse(share.sharedAt)
  if (!(at >= Date.parse(challenge.startsAt) && at < Date.parse(challenge.endsAt))) return false
  const { filter } = challenge
  if (filter.network !== undefined && filter.network !== share.network) return false
  const needsItem =
    filter.objective !== undefined ||
    filter.sourceKind !== undefined ||
    filter.campaignId !== undefined
  if (!needsItem) return true
  const item = share.item
  if (!item) return false
  if (filter.objective !== undefined && item.objective !== filter.objective) return false
  if (filter.sourceKind !== undefined && item.sourceKind !== filter.sourceKind) return false
  if (filter.campaignId !== undefined && item.campaignId !== filter.campaignId) return false
  return true
}

/** The challenge's score of a set of shares (one member's, or the whole team's). */
export function challengeScore(
  challenge: Challenge,
  shares: readonly ScoredShare[],
  weights: PointWeights,
): number {
  const counted = tally(shares.filter((share) => countsForChallenge(challenge, share)))
  switch (challenge.metric) {
    case 'shares':
      return counted.shares
    case 'clicks':
      return counted.clicks
    case 'conversions':
      return counted.conversions
    case 'points':
      return pointsFor(counted, weights)
  }
}
