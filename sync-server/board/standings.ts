import type { ChallengeStandings, Leaderboard } from '../../common/model/board'
import { NETWORKS, type Network } from '../../common/model/networks'
import { pointsFor } from '../../common/model/recognition'
import {
  challengeScore,
  inMonth,
  monthOf,
  type ScoredShare,
  tally,
} from '../../common/model/standings'
import type { BoardInput, ShareRow } from './aggregate'

const isNetwork = (v: string): v is Network => (NETWORKS as readonly string[]).includes(v)

/** What the standings are computed from: the shares and the counts held per share. */
export type StandingsCounters = {
  shares: Iterable<ShareRow>
  uniqueByShare: ReadonlyMap<string, number>
  conversionsByShare: ReadonlyMap<string, number>
  /** Opted-in members' ids (the leaderboard table). */
  optedIn: readonly string[]
}

/**
 * The leaderboard and the challenges' standings, from the counters. One function for the full
 * rebuild (aggregateRows) and the running counters (BoardState): every share counts for the
 * team, opted-in members' shares for them too; a member without a current name is left out.
 */
export function boardStandings(
  counters: StandingsCounters,
  input: BoardInput,
): { leaderboard: Leaderboard; challenges: Map<string, ChallengeStandings> } {
  const team: ScoredShare[] = []
  const byMember = new Map<string, ScoredShare[]>()
  for (const share of counters.shares) {
    if (!isNetwork(share.network)) continue
    const scored: ScoredShare = {
      sharedAt: share.shared_at,
      network: share.network,
      uniqueClicks: counters.uniqueByShare.get(share.id) ?? 0,
      conversions: counters.conversionsByShare.get(share.id) ?? 0,
      item: {
        objective: share.objective,
        sourceKind: share.source_kind ?? '',
        campaignId: share.campaign_id,
      },
    }
    team.push(scored)
    if (share.member_id !== null) {
      const list = byMember.get(share.member_id) ?? []
      list.push(scored)
      byMember.set(share.member_id, list)
    }
  }
  const optedIn = counters.optedIn.flatMap((memberId) => {
    const name = input.memberName(memberId)
    return name === null ? [] : [{ memberId, displayName: name }]
  })

  const month = monthOf(input.now)
  const leaderboard: Leaderboard = {
    month,
    rows: rank(
      optedIn.map((member) => {
        const counts = tally(inMonth(byMember.get(member.memberId) ?? [], month))
        return { ...member, points: pointsFor(counts, input.weights), ...counts }
      }),
      (row) => row.points,
    ),
  }

  const challenges = new Map<string, ChallengeStandings>()
  for (const challenge of input.challenges) {
    const rows = optedIn.map((member) => ({
      ...member,
      score: challengeScore(challenge, byMember.get(member.memberId) ?? [], input.weights),
    }))
    challenges.set(challenge.id, {
      challengeId: challenge.id,
      teamScore: challengeScore(challenge, team, input.weights),
      standings: rank(rows, (row) => row.score),
    })
  }
  return { leaderboard, challenges }
}

/** Best first, ties share a rank, then by name and id so rebuilds order them the same way. */
export function rank<T extends { memberId: string; displayName: string }>(
  rows: readonly T[],
  score: (row: T) => number,
): (T & { rank: number })[] {
  const sorted = [...rows].sort(
    (a, b) =>
      score(b) - score(a) ||
      a.displayName.localeCompare(b.displayName) ||
      a.memberId.localeCompare(b.memberId),
  )
  let previous: { score: number; rank: number } | null = null
  return sorted.map((row, index) => {
    const s = score(row)
    const r: number = previous && previous.score === s ? previous.rank : index + 1
    previous = { score: s, rank: r }
    return { ...row, rank: r }
  })
}
