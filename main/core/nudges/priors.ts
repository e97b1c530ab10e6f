import type { Network } from '../../../common/model/networks'
import { SLOT_MINUTES, SLOTS_PER_DAY, SLOTS_PER_WEEK } from './time'

/** A span of local time on some weekdays (0 = Monday), with how much it weighs in the prior. */
type Range = { days: number[]; from: string; to: string; weight: number; source: string }

const WEEKDAYS = [0, 1, 2, 3, 4]

/**
 * The product brief's B2B rhythm (shared/README.md): people read before office hours, at lunch
 * and after 18:00; LinkedIn also on Sunday morning. This is about when people *read*, which is
 * what the model learns (clicks), so it weighs more than the studies below.
 */
const B2B_RHYTHM: Range[] = [
  { days: WEEKDAYS, from: '07:30', to: '09:00', weight: 1, source: 'product brief: B2B rhythm' },
  { days: WEEKDAYS, from: '12:00', to: '13:30', weight: 0.8, source: 'product brief: B2B rhythm' },
  { days: WEEKDAYS, from: '18:00', to: '20:00', weight: 0.7, source: 'product brief: B2B rhythm' },
]

/**
 * Published best-time ranges. They measure engagement with brand posts (likes, comments) on the
 * studies' customer accounts, in the poster's time zone, not clicks on an employee's links: they
 * only shape the prior, at half the weight of the reading rhythm, and the person's own clicks
 * replace them as evidence accumulates.
 */
const PUBLISHED: Partial<Record<Network, Range[]>> = {
  linkedin: [
    {
      days: [1, 2],
      from: '10:00',
      to: '12:00',
      weight: 0.5,
      // Sprout Social, Best Times to Post 2023, as reported by O'Dwyer's (2023-06-07):
      // https://www.odwyerpr.com/story/public/19714/2023-06-07/midweek-afternoons-best-post-time-for-tiktok.html
      source: 'Sprout Social 2023: LinkedIn Tue–Wed 10:00–12:00',
    },
    {
      days: [1, 2, 3],
      from: '07:00',
      to: '08:30',
      weight: 0.4,
      // Buffer, as summarised by The Yardstick Agency:
      // https://theyardstickagency.co.uk/blog/the-day-and-time-you-should-post-on-linkedin-to-maximise-engagement
      source: 'Buffer: LinkedIn Tue–Thu 07:00–08:30 and 17:00–18:00',
    },
    {
      days: [1, 2, 3],
      from: '17:00',
      to: '18:00',
      weight: 0.3,
      source: 'Buffer: LinkedIn Tue–Thu 07:00–08:30 and 17:00–18:00',
    },
    {
      // The brief: LinkedIn is also read on Sunday morning.
      days: [6],
      from: '09:00',
      to: '11:00',
      weight: 0.6,
      source: 'product brief: LinkedIn on Sunday morning',
    },
  ],
  x: [
    {
      days: [1, 2, 3, 4],
      from: '09:00',
      to: '12:00',
      weight: 0.5,
      // Sprout Social 2023 (O'Dwyer's, link above): Twitter Tue–Fri from 9 a.m., tapering by noon.
      source: 'Sprout Social 2023: X Tue–Fri 09:00–12:00',
    },
  ],
  facebook: [
    {
      days: [0, 1, 2, 3],
      from: '08:00',
      to: '13:00',
      weight: 0.5,
      // Sprout Social 2023 (O'Dwyer's, link above): Facebook Mon–Thu 8 a.m. to about 1 p.m.
      source: 'Sprout Social 2023: Facebook Mon–Thu 08:00–13:00',
    },
  ],
}

/** Night and weekend floor: an audience is never exactly absent. */
const FLOOR = 0.04

function slotOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number)
  return Math.floor(((h ?? 0) * 60 + (m ?? 0)) / SLOT_MINUTES)
}

const cache = new Map<Network, Float64Array>()

/** The prior weekly curve of a network: one value per slot of the week, summing to 1. */
export function priorCurve(network: Network): Float64Array {
  const cached = cache.get(network)
  if (cached) return cached
  const curve = new Float64Array(SLOTS_PER_WEEK).fill(FLOOR)
  // Daytime is more likely than night even outside the named ranges.
  for (let day = 0; day < 7; day++) {
    for (let slot = slotOf('07:00'); slot < slotOf('22:00'); slot++)
      curve[day * SLOTS_PER_DAY + slot] = (curve[day * SLOTS_PER_DAY + slot] ?? 0) + 0.06
  }
  for (const range of [...B2B_RHYTHM, ...(PUBLISHED[network] ?? [])]) {
    for (const day of range.days) {
      for (let slot = slotOf(range.from); slot < slotOf(range.to); slot++) {
        const index = day * SLOTS_PER_DAY + slot
        curve[index] = (curve[index] ?? 0) + range.weight
      }
    }
  }
  normalise(curve)
  cache.set(network, curve)
  return curve
}

export function normalise(curve: Float64Array): Float64Array {
  let sum = 0
  for (const v of curve) sum += v
  if (sum > 0) for (let i = 0; i < curve.length; i++) curve[i] = (curve[i] ?? 0) / sum
  return curve
}
