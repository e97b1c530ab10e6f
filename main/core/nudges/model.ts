import type { Network } from '../../../common/model/networks'
import type { NudgeWhy } from '../../../common/nudges/why'
import { normalise, priorCurve } from './priors'
import { formatClock, SLOT_MINUTES, SLOTS_PER_DAY, SLOTS_PER_WEEK, weekSlot } from './time'

export type Click = { network: Network; at: number }
export type NudgeOutcome = 'opened' | 'shared' | 'dismissed' | 'snoozed'
/** A past nudge and what came of it (null: nothing yet). */
export type PastNudge = {
  id: string
  itemId: string
  network: Network
  at: number
  outcome: NudgeOutcome | null
}

/** The workspace's aggregate click curve from the board (no member data): one value per slot. */
export type PooledCurve = { network: Network; curve: ArrayLike<number>; clicks: number }

export const MODEL = {
  /** Old clicks count half after this long (Sprout keeps 16 weeks; we fade rather than cut). */
  halfLifeDays: 42,
  /** How many clicks the prior is worth: below this, the prior still has the larger say. */
  priorStrength: 12,
  /** How many of the workspace's clicks make the pooled layer weigh as much as the priors. */
  pooledStrength: 60,
  /** The pooled layer never takes more than this share of the middle layer. */
  pooledMax: 0.7,
  /** Clicks arrive after the post: mean delay, and how far the kernel reaches. */
  lagMeanMinutes: 60,
  lagSlots: 16,
  /** Smoothing of clicks over neighbouring slots (each side). */
  smoothSlots: 2,
  /** An unanswered nudge counts as ignored after this long. */
  ignoredAfterMs: 12 * 3_600_000,
} as const

const DAY_MS = 86_400_000

export type AudienceModel = {
  network: Network
  /** Posterior click density per slot of the week (sums to 1). */
  curve: Float64Array
  /** How good a post at each slot is: the clicks expected over the following hours. */
  score: Float64Array
  /** Clicks learned from, after decay. */
  evidence: number
  source: 'learned' | 'pooled' | 'prior'
}

function addSmoothed(target: Float64Array, slot: number, weight: number): void {
  const width = MODEL.smoothSlots
  let total = 0
  for (let d = -width; d <= width; d++) total += width + 1 - Math.abs(d)
  for (let d = -width; d <= width; d++) {
    const index = (slot + d + SLOTS_PER_WEEK) % SLOTS_PER_WEEK
    target[index] = (target[index] ?? 0) + (weight * (width + 1 - Math.abs(d))) / total
  }
}

/**
 * The audience model of one network for one employee, in their time zone: prior → pooled
 * middle layer → the employee's own clicks, each layer shrunk towards the one below by evidence.
 * Clicks are smoothed over half an hour and generalised across weekdays (a 21:00 habit seen on
 * Monday and Wednesday is likely on Tuesday too), old clicks fade, and the post-time score
 * convolves the curve with the post→click lag, so nudges come shortly before the peak.
 * Outcomes matter too: nudges ignored at some hour of the day lower that hour's score.
 */
export function buildModel(o: {
  network: Network
  zone: string
  now: number
  clicks: readonly Click[]
  pooled?: PooledCurve | null
  nudges?: readonly PastNudge[]
}): AudienceModel {
  const prior = priorCurve(o.network)
  // Middle layer: priors shrunk towards the workspace's curve.
  const middle = Float64Array.from(prior)
  let source: AudienceModel['source'] = 'prior'
  if (o.pooled && o.pooled.clicks > 0 && o.pooled.curve.length === SLOTS_PER_WEEK) {
    const pooled = normalise(Float64Array.from(o.pooled.curve, (v) => Math.max(0, v)))
    const w = Math.min(MODEL.pooledMax, o.pooled.clicks / (o.pooled.clicks + MODEL.pooledStrength))
    for (let i = 0; i < SLOTS_PER_WEEK; i++)
      middle[i] = (1 - w) * (prior[i] ?? 0) + w * (pooled[i] ?? 0)
    if (w >= 0.5) source = 'pooled'
  }
  // The employee's clicks, decayed.
  const weekly = new Float64Array(SLOTS_PER_WEEK)
  const daily = new Float64Array(SLOTS_PER_DAY)
  const perDay = new Float64Array(7)
  let evidence = 0
  for (const click of o.clicks) {
    if (click.network !== o.network || click.at > o.now) continue
    const weight = 0.5 ** ((o.now - click.at) / (MODEL.halfLifeDays * DAY_MS))
    const slot = weekSlot(click.at, o.zone)
    addSmoothed(weekly, slot, weight)
    daily[slot % SLOTS_PER_DAY] = (daily[slot % SLOTS_PER_DAY] ?? 0) + weight
    perDay[Math.floor(slot / SLOTS_PER_DAY)] =
      (perDay[Math.floor(slot / SLOTS_PER_DAY)] ?? 0) + weight
    evidence += weight
  }
  const curve = Float64Array.from(middle)
  if (evidence > 0) {
    // Half the evidence as seen, half as a time-of-day habit spread over the days it shows on.
    const spread = new Float64Array(SLOTS_PER_WEEK)
    for (let day = 0; day < 7; day++) {
      const share = ((perDay[day] ?? 0) + 0.5) / (evidence + 3.5)
      for (let s = 0; s < SLOTS_PER_DAY; s++) {
        const slot = day * SLOTS_PER_DAY + s
        const value = (daily[s] ?? 0) * share
        if (value > 0) addSmoothed(spread, slot, value)
      }
    }
    normalise(spread)
    const k = MODEL.priorStrength
    for (let i = 0; i < SLOTS_PER_WEEK; i++) {
      const own = 0.5 * (weekly[i] ?? 0) + 0.5 * evidence * (spread[i] ?? 0)
      curve[i] = (k * (middle[i] ?? 0) + own) / (k + evidence)
    }
    normalise(curve)
    if (evidence >= MODEL.priorStrength / 2) source = 'learned'
  }
  const score = postScore(curve)
  applyOutcomes(score, o.nudges ?? [], o.network, o.zone, o.now)
  return { network: o.network, curve, score, evidence, source }
}

/** Expected clicks after posting at each slot: the curve seen through the post→click lag. */
function postScore(curve: Float64Array): Float64Array {
  const lag = new Float64Array(MODEL.lagSlots)
  for (let l = 0; l < MODEL.lagSlots; l++)
    lag[l] = Math.exp(-((l + 0.5) * SLOT_MINUTES) / MODEL.lagMeanMinutes)
  normalise(lag)
  const score = new Float64Array(SLOTS_PER_WEEK)
  for (let s = 0; s < SLOTS_PER_WEEK; s++) {
    let total = 0
    for (let l = 0; l < MODEL.lagSlots; l++)
      total += (lag[l] ?? 0) * (curve[(s + l) % SLOTS_PER_WEEK] ?? 0)
    score[s] = total
  }
  return score
}

/** Nudges ignored at an hour of the day make that hour (± one) less likely to be chosen again. */
function applyOutcomes(
  score: Float64Array,
  nudges: readonly PastNudge[],
  network: Network,
  zone: string,
  now: number,
): void {
  const acted = new Float64Array(24)
  const ignored = new Float64Array(24)
  for (const nudge of nudges) {
    if (nudge.network !== network) continue
    const weight = 0.5 ** ((now - nudge.at) / (MODEL.halfLifeDays * DAY_MS))
    const hour = Math.floor((weekSlot(nudge.at, zone) % SLOTS_PER_DAY) / (SLOTS_PER_DAY / 24))
    if (nudge.outcome === 'opened' || nudge.outcome === 'shared')
      acted[hour] = (acted[hour] ?? 0) + weight
    else if (
      nudge.outcome === 'dismissed' ||
      (nudge.outcome === null && now - nudge.at > MODEL.ignoredAfterMs)
    )
      ignored[hour] = (ignored[hour] ?? 0) + weight
  }
  for (let s = 0; s < SLOTS_PER_WEEK; s++) {
    const hour = Math.floor((s % SLOTS_PER_DAY) / (SLOTS_PER_DAY / 24))
    let a = 0
    let i = 0
    for (const h of [hour - 1, hour, hour + 1]) {
      const index = (h + 24) % 24
      const near = h === hour ? 1 : 0.5
      a += near * (acted[index] ?? 0)
      i += near * (ignored[index] ?? 0)
    }
    score[s] = (score[s] ?? 0) * ((2 + a) / (2 + a + i))
  }
}

/** The busiest 90 minutes of the week, for the explanation. */
export function explain(model: AudienceModel): NudgeWhy {
  const width = 6
  let best = 0
  let bestMass = -1
  for (let s = 0; s < SLOTS_PER_WEEK; s++) {
    let mass = 0
    for (let l = 0; l < width; l++) mass += model.curve[(s + l) % SLOTS_PER_WEEK] ?? 0
    if (mass > bestMass) {
      bestMass = mass
      best = s
    }
  }
  const weekday = Math.floor(best / SLOTS_PER_DAY)
  const minute = (best % SLOTS_PER_DAY) * SLOT_MINUTES
  return {
    code: model.source,
    network: model.network,
    weekday,
    from: formatClock(minute),
    to: formatClock(minute + width * SLOT_MINUTES),
    clicks: Math.round(model.evidence),
    deadline: null,
  }
}
