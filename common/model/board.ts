import { z } from 'zod'
import { Id } from './ids'
import { Objective, SourceKind, Timestamp } from './item'
import { lazySchema } from './lazy'
import { Network } from './networks'

/**
 * The `board` document (issue 9, point 5): the team's results, written only by the relay from
 * its share, click and conversion tables, read by every member. It holds no data about a member
 * who did not opt in to the leaderboard: aggregates carry no member identity, and the
 * leaderboard and challenge standings list opted-in members only.
 *
 * Layout (plain JSON values; the relay rewrites an entry only when it changed):
 *   meta:        Y.Map  { updatedAt, month }
 *   items:       Y.Map<itemId, BoardCounts & { daily }>
 *   networks:    Y.Map<network, BoardCounts>
 *   objectives:  Y.Map<objective, BoardCounts>
 *   sourceKinds: Y.Map<sourceKind, BoardCounts>
 *   campaigns:   Y.Map<campaignId, BoardCounts & { daily }>
 *   clickCurve:  Y.Map<network | 'all', number[168]>  the pooled layer of the nudges
 *   leaderboard: Y.Map  { month, rows }
 *   challenges:  Y.Map<challengeId, ChallengeStandings>
 */
const Count = lazySchema(() => z.number().int().min(0))

export const BoardCounts = lazySchema(() =>
  z.object({
    shares: Count,
    clicks: Count,
    uniqueClicks: Count,
    conversions: Count,
    /** Sum of the conversions' values (0 when none carried one). */
    conversionValue: z.number().finite().min(0),
  }),
)
export type BoardCounts = z.infer<typeof BoardCounts>

/** Day `YYYY-MM-DD` in UTC, oldest first; the last BOARD_DAYS days with any activity. */
export const BoardDay = lazySchema(() =>
  z.object({
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    shares: Count,
    clicks: Count,
    conversions: Count,
  }),
)
export type BoardDay = z.infer<typeof BoardDay>
export const BOARD_DAYS = 90

export const BoardItem = lazySchema(() =>
  BoardCounts.extend({ itemId: Id, daily: z.array(BoardDay) }),
)
export type BoardItem = z.infer<typeof BoardItem>

export const BoardCampaign = lazySchema(() =>
  BoardCounts.extend({ campaignId: Id, daily: z.array(BoardDay) }),
)
export type BoardCampaign = z.infer<typeof BoardCampaign>

/**
 * Clicks per hour of the week in UTC: index = weekday × 24 + hour, weekday as JavaScript's
 * getUTCDay (0 = Sunday). Preview bots never count. The core shifts it to the employee's time zone.
 */
export const ClickCurve = lazySchema(() => z.array(Count).length(168))
export type ClickCurve = z.infer<typeof ClickCurve>
export const CLICK_CURVE_ALL = 'all'

/** Opted-in members only. `rank` 1 is first; ties share a rank. */
export const LeaderboardRow = lazySchema(() =>
  z.object({
    memberId: Id,
    displayName: z.string().max(200),
    points: Count,
    shares: Count,
    clicks: Count,
    conversions: Count,
    rank: z.number().int().min(1),
  }),
)
export type LeaderboardRow = z.infer<typeof LeaderboardRow>

export const Leaderboard = lazySchema(() =>
  z.object({
    /** `YYYY-MM` (UTC): points count this month's shares and their clicks and conversions. */
    month: z.string().regex(/^\d{4}-\d{2}$/),
    rows: z.array(LeaderboardRow),
  }),
)
export type Leaderboard = z.infer<typeof Leaderboard>

export const ChallengeStandings = lazySchema(() =>
  z.object({
    challengeId: Id,
    /** The whole team's score (every member, opted in or not: an aggregate). */
    teamScore: Count,
    /** Opted-in members only, best first. */
    standings: z.array(
      z.object({
        memberId: Id,
        displayName: z.string().max(200),
        score: Count,
        rank: z.number().int().min(1),
      }),
    ),
  }),
)
export type ChallengeStandings = z.infer<typeof ChallengeStandings>

export const BoardMeta = lazySchema(() => z.object({ updatedAt: Timestamp }))
export type BoardMeta = z.infer<typeof BoardMeta>

/** The board as the windows receive it (`board.get` / `board.changed`), validated entry by entry. */
export const Board = lazySchema(() =>
  z.object({
    updatedAt: Timestamp.nullable(),
    items: z.array(BoardItem),
    networks: z.partialRecord(Network, BoardCounts),
    objectives: z.partialRecord(Objective, BoardCounts),
    sourceKinds: z.partialRecord(SourceKind, BoardCounts),
    campaigns: z.array(BoardCampaign),
    clickCurves: z.partialRecord(z.union([Network, z.literal(CLICK_CURVE_ALL)]), ClickCurve),
    leaderboard: Leaderboard.nullable(),
    challenges: z.array(ChallengeStandings),
  }),
)
export type Board = z.infer<typeof Board>

export const EMPTY_BOARD: Board = {
  updatedAt: null,
  items: [],
  networks: {},
  objectives: {},
  sourceKinds: {},
  campaigns: [],
  clickCurves: {},
  leaderboard: null,
  challenges: [],
}
