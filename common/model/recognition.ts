import { z } from 'zod'
import { plainText } from './bidi'
import { Id } from './ids'
import { Objective, SourceKind, Timestamp } from './item'
import { lazySchema } from './lazy'
import { Network } from './networks'

/**
 * What champions set for the whole workspace (issue 9, points 2 and 6), kept in the `queue`
 * document's `settings` map (every member reads it, curators write it, the relay validates it):
 * - `points`: the weights of shares, clicks and conversions in everyone's points;
 * - `value`: cost per click and per thousand impressions, for the earned media value an employee
 *   sees beside their reach.
 * Challenges live in the queue document's `challenges` map, one entry per challenge.
 */
export const PointWeights = lazySchema(() =>
  z
    .object({
      share: z.number().int().min(0).max(1000),
      click: z.number().int().min(0).max(1000),
      conversion: z.number().int().min(0).max(10_000),
    })
    .strict(),
)
export type PointWeights = z.infer<typeof PointWeights>

export const DEFAULT_POINT_WEIGHTS: PointWeights = { share: 10, click: 1, conversion: 25 }

export const MediaValue = lazySchema(() =>
  z
    .object({
      /** ISO 4217 code, e.g. "EUR". */
      currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be a three-letter code such as EUR'),
      /** Cost per click, in the currency. */
      cpc: z.number().min(0).max(1000),
      /** Cost per thousand impressions, in the currency. */
      cpm: z.number().min(0).max(10_000),
    })
    .strict(),
)
export type MediaValue = z.infer<typeof MediaValue>

export const CHALLENGE_METRICS = ['shares', 'clicks', 'conversions', 'points'] as const
export const ChallengeMetric = lazySchema(() => z.enum(CHALLENGE_METRICS))
export type ChallengeMetric = z.infer<typeof ChallengeMetric>

const ChallengeFields = lazySchema(() =>
  z
    .object({
      id: Id,
      name: plainText().trim().min(1, 'challenge name is empty').max(120),
      metric: ChallengeMetric,
      /** Only shares (and their clicks, conversions) of items matching every filter given count. */
      filter: z
        .object({
          objective: Objective.optional(),
          sourceKind: SourceKind.optional(),
          network: Network.optional(),
          campaignId: Id.optional(),
        })
        .strict(),
      startsAt: Timestamp,
      endsAt: Timestamp,
      prize: plainText().trim().max(200),
    })
    .strict(),
)

const endsAfterStart = (c: { startsAt: string; endsAt: string }) =>
  Date.parse(c.endsAt) > Date.parse(c.startsAt)
const endsAfterStartError = { message: 'a challenge must end after it starts', path: ['endsAt'] }

/** "Most shares of talent items in December": a metric, an optional filter, a period, a prize. */
export const Challenge = lazySchema(() =>
  ChallengeFields.refine(endsAfterStart, endsAfterStartError),
)
export type Challenge = z.infer<typeof Challenge>

/** Points from counts and weights: one function for the board, the core and the windows. */
export function pointsFor(
  counts: { shares: number; clicks: number; conversions: number },
  weights: PointWeights,
): number {
  return (
    counts.shares * weights.share +
    counts.clicks * weights.click +
    counts.conversions * weights.conversion
  )
}

export const NewChallenge = lazySchema(() =>
  ChallengeFields.omit({ id: true }).refine(endsAfterStart, endsAfterStartError),
)
/** A patch is checked against the stored challenge once merged (the period as a whole). */
export const ChallengePatch = lazySchema(() => ChallengeFields.omit({ id: true }).partial())
export type ChallengePatch = z.infer<typeof ChallengePatch>
export type NewChallenge = z.infer<typeof NewChallenge>

/** The queue document's `settings` map as the windows see it (defaults filled in). */
export const WorkspaceSettings = lazySchema(() =>
  z.object({
    points: PointWeights,
    /** Null until a champion sets CPC/CPM: no earned media value is shown. */
    value: MediaValue.nullable(),
  }),
)
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>

/** `recognition.mine`: my points (computed on my device), and my rank only if I opted in. */
export const MyRecognition = lazySchema(() =>
  z.object({
    weights: PointWeights,
    /** `YYYY-MM` (UTC), the month of `monthPoints`. */
    month: z.string().regex(/^\d{4}-\d{2}$/),
    monthPoints: z.number().int().min(0),
    allTimePoints: z.number().int().min(0),
    optedIn: z.boolean(),
    /** My place on this month's leaderboard (null when not opted in or not on it yet). */
    rank: z.number().int().min(1).nullable(),
    challenges: z.array(
      z.object({
        challenge: Challenge,
        /** My score, counted on my device from my own shares and results. */
        myScore: z.number().int().min(0),
        /** The team's score (from the board). */
        teamScore: z.number().int().min(0),
        rank: z.number().int().min(1).nullable(),
      }),
    ),
  }),
)
export type MyRecognition = z.infer<typeof MyRecognition>
