import type { Board } from '../../../common/model/board'
import type { Item } from '../../../common/model/item'
import {
  type Challenge,
  type MyRecognition,
  type PointWeights,
  pointsFor,
} from '../../../common/model/recognition'
import {
  challengeScore,
  inMonth,
  monthOf,
  type ScoredShare,
  tally,
} from '../../../common/model/standings'
import type { ResultShare, StoredClick, StoredConversion } from '../results/results-store'

/** My shares as the standings count them, from what SQLite holds (offline too). */
export function myScoredShares(input: {
  shares: readonly ResultShare[]
  clicks: readonly StoredClick[]
  conversions: readonly StoredConversion[]
  item: (itemId: string) => Pick<Item, 'objective' | 'sourceKind' | 'campaignId'> | null
}): ScoredShare[] {
  const unique = new Map<string, number>()
  for (const click of input.clicks) {
    if (click.unique) unique.set(click.shareId, (unique.get(click.shareId) ?? 0) + 1)
  }
  const conversions = new Map<string, number>()
  for (const c of input.conversions)
    conversions.set(c.shareId, (conversions.get(c.shareId) ?? 0) + 1)
  return input.shares.map((share) => {
    const item = input.item(share.itemId)
    return {
      sharedAt: share.sharedAt,
      network: share.network,
      uniqueClicks: unique.get(share.id) ?? 0,
      conversions: conversions.get(share.id) ?? 0,
      item: item
        ? { objective: item.objective, sourceKind: item.sourceKind, campaignId: item.campaignId }
        : null,
    }
  })
}

/**
 * `recognition.mine`: my points counted on my device; my rank and challenge ranks only from the
 * board's opted-in rows, and only when I opted in (otherwise the board has no row of mine).
 */
export function computeMyRecognition(input: {
  shares: readonly ScoredShare[]
  weights: PointWeights
  challenges: readonly Challenge[]
  board: Board
  memberId: string
  optedIn: boolean
  now: Date
}): MyRecognition {
  const { shares, weights, board, memberId, optedIn } = input
  const month = monthOf(input.now)
  const leaderboard = board.leaderboard?.month === month ? board.leaderboard : null
  const myRow = optedIn ? leaderboard?.rows.find((row) => row.memberId === memberId) : undefined
  const standings = new Map(board.challenges.map((c) => [c.challengeId, c]))
  return {
    weights,
    month,
    monthPoints: pointsFor(tally(inMonth(shares, month)), weights),
    allTimePoints: pointsFor(tally(shares), weights),
    optedIn,
    rank: myRow?.rank ?? null,
    challenges: input.challenges.map((challenge) => {
      const team = standings.get(challenge.id)
      const mine = optedIn ? team?.standings.find((row) => row.memberId === memberId) : undefined
      return {
        challenge,
        myScore: challengeScore(challenge, shares, weights),
        teamScore: team?.teamScore ?? 0,
        rank: mine?.rank ?? null,
      }
    }),
  }
}
