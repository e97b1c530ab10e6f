import { z } from 'zod'
import { Timestamp } from './item'
import { lazySchema } from './lazy'
import { Network } from './networks'
import { OwnerProof, ShareId } from './share'

/**
 * `POST /api/v1/results/mine` (issue 9): the device proves it owns each share with the same
 * HMAC(device secret, share id) its share reports carried, and gets back the clicks and
 * conversions of exactly those shares. The relay need not know whose shares they are.
 */
export const MAX_RESULTS_SHARES = 500

export const MyResultsRequest = lazySchema(() =>
  z
    .object({
      shares: z
        .array(z.object({ id: ShareId, proof: OwnerProof }).strict())
        .min(1, 'shares is empty')
        .max(MAX_RESULTS_SHARES, `at most ${MAX_RESULTS_SHARES} shares per request`),
    })
    .strict(),
)
export type MyResultsRequest = z.infer<typeof MyResultsRequest>

/** One counted click (preview bots are never counted); `unique`: first by that visitor in 24 h. */
export const MyClick = lazySchema(() =>
  z.object({ shareId: ShareId, at: Timestamp, unique: z.boolean() }),
)
export type MyClick = z.infer<typeof MyClick>

export const MyConversion = lazySchema(() =>
  z.object({
    /** The idempotency id the sign-up system sent. */
    id: z.string().min(1).max(200),
    shareId: ShareId,
    at: Timestamp,
    kind: z.string().min(1).max(64),
    value: z.number().finite().nullable(),
  }),
)
export type MyConversion = z.infer<typeof MyConversion>

/** Every click and conversion the relay holds for the shares asked about (all time). */
export const MyResults = lazySchema(() =>
  z.object({
    clicks: z.array(MyClick),
    conversions: z.array(MyConversion),
  }),
)
export type MyResults = z.infer<typeof MyResults>

/** Audience size per network, entered by the employee (kept on the device). */
export const AudienceSizes = lazySchema(() =>
  z.partialRecord(Network, z.number().int().min(0).max(1_000_000_000)),
)
export type AudienceSizes = z.infer<typeof AudienceSizes>

const Count = lazySchema(() => z.number().int().min(0))
const Ratio = lazySchema(() => z.number().min(0).nullable())

/** My stats from the clicks and conversions kept in SQLite (`results.mine`). */
export const MyResultsStats = lazySchema(() =>
  z.object({
    /** When the relay last answered, or null: never (the figures are what SQLite holds). */
    fetchedAt: Timestamp.nullable(),
    totals: z.object({
      shares: Count,
      clicks: Count,
      uniqueClicks: Count,
      conversions: Count,
    }),
    perShare: z.array(
      z.object({
        shareId: ShareId,
        itemId: z.string(),
        title: z.string().nullable(),
        network: Network,
        sharedAt: Timestamp,
        clicks: Count,
        uniqueClicks: Count,
        conversions: Count,
        /** Unique clicks ÷ the audience I entered for the network; null without one. */
        clickThrough: Ratio,
      }),
    ),
    perItem: z.array(
      z.object({
        itemId: z.string(),
        title: z.string().nullable(),
        shares: Count,
        clicks: Count,
        uniqueClicks: Count,
        conversions: Count,
      }),
    ),
    perNetwork: z.array(
      z.object({
        network: Network,
        shares: Count,
        clicks: Count,
        uniqueClicks: Count,
        conversions: Count,
        audience: Count.nullable(),
        /** Reach: shares × audience, the people my posts could have reached. */
        reach: Count.nullable(),
        clickThrough: Ratio,
      }),
    ),
    /** The last 90 local days, oldest first (the view shows 30 or 90). */
    daily: z.array(z.object({ date: z.string(), shares: Count, clicks: Count })),
    /** Clicks by local weekday (0 = Monday) × hour: `heatmap[weekday][hour]`. */
    heatmap: z.array(z.array(Count).length(24)).length(7),
    /**
     * Earned media value: what my clicks and impressions would have cost as ads, from the
     * workspace's CPC/CPM (champions set them): clicks × cpc + impressions ÷ 1000 × cpm, where
     * impressions is my reach (shares × the audience I entered). Null until CPC/CPM are set.
     */
    earnedMediaValue: z
      .object({
        currency: z.string(),
        amount: z.number().min(0),
        clicks: Count,
        impressions: Count,
        cpc: z.number().min(0),
        cpm: z.number().min(0),
      })
      .nullable(),
  }),
)
export type MyResultsStats = z.infer<typeof MyResultsStats>
