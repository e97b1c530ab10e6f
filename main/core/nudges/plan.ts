import type { Network } from '../../../common/model/networks'
import { capOf, DEFAULT_NUDGE_SETTINGS, type NudgeSettings } from '../../../common/nudges/settings'
import type { NudgeWhy } from '../../../common/nudges/why'
import { type AudienceModel, explain, type PastNudge } from './model'
import {
  localTime,
  nextDay,
  parseClock,
  SLOT_MINUTES,
  SLOTS_PER_DAY,
  slotsOfDay,
  weekdayOf,
} from './time'

/** An item as the planner needs it (times in epoch ms). */
export type NudgeItem = {
  id: string
  title: string
  status: string
  /** When it may be shared from (publishAt, or when it was published). */
  availableAt: number
  expiresAt: number | null
  priority: number
  /** Its campaign's deadline, if any. */
  deadline: number | null
}

export type PlanSettings = {
  networks: readonly Network[]
  nudgesPaused: boolean
  quietHours: { start: string; end: string } | null
  nudges: NudgeSettings
}

export type PlanInput = {
  now: number
  zone: string
  memberId: string
  settings: PlanSettings
  items: readonly NudgeItem[]
  /** Items I already shared (on any network): never nudged. */
  shared: ReadonlySet<string>
  history: readonly PastNudge[]
  snoozedUntil: number | null
  models: ReadonlyMap<Network, AudienceModel>
}

export type PlannedNudge = { at: number; network: Network; itemId: string; why: NudgeWhy }

export const PLAN = {
  /** Days searched ahead. */
  horizonDays: 9,
  /** A slot is good enough when its score is at least this share of the day's best. */
  goodShare: 0.6,
  /** The stagger window: contiguous slots within this share of the chosen slot's score. */
  windowShare: 0.85,
  /** An item not nudged within this long after it became available is no longer "new". */
  freshDays: 14,
  /** An item expiring within this long is not worth a nudge. */
  expiryMarginMs: 3_600_000,
  /** Campaign deadlines closer than this make their items urgent. */
  urgentMs: 3 * 86_400_000,
} as const

const MINUTE = 60_000
const SLOT_MS = SLOT_MINUTES * MINUTE

/** Whether [minute, minute + length) touches the quiet hours (which may wrap midnight). */
export function inQuietHours(
  quiet: PlanSettings['quietHours'],
  minute: number,
  length = 1,
): boolean {
  if (!quiet) return false
  const start = parseClock(quiet.start)
  const end = parseClock(quiet.end)
  if (start === end) return false
  for (let m = minute; m < minute + length; m++) {
    const t = m % 1440
    if (start < end ? t >= start && t < end : t >= start || t < end) return true
  }
  return false
}

/**
 * FNV-1a: a member always gets the same place in a network's window on a given day, whichever
 * item it is (replanning with new content never moves the time), and colleagues get different ones.
 */
export function staggerFraction(memberId: string, key: string): number {
  let hash = 0x811c9dc5
  for (const char of `${memberId}\n${key}`) {
    hash ^= char.codePointAt(0) ?? 0
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash / 2 ** 32
}

/** Items that may still be nudged: published, not shared, never nudged (a snoozed one once more). */
function nudgeable(input: PlanInput): NudgeItem[] {
  const nudged = new Map<string, PastNudge[]>()
  for (const past of input.history) {
    const list = nudged.get(past.itemId) ?? []
    list.push(past)
    nudged.set(past.itemId, list)
  }
  return input.items.filter((item) => {
    if (item.status !== 'published' || input.shared.has(item.id)) return false
    const past = nudged.get(item.id)
    // "Later" brings the item back once; anything else (shown, opened, dismissed) ends it.
    if (past && !(past.length === 1 && past[0]?.outcome === 'snoozed')) return false
    return true
  })
}

function availableAt(item: NudgeItem, at: number): boolean {
  if (item.availableAt > at) return false
  if (at - item.availableAt > PLAN.freshDays * 86_400_000) return false
  if (item.expiresAt !== null && item.expiresAt - PLAN.expiryMarginMs <= at) return false
  if (item.deadline !== null && item.deadline <= at) return false
  return true
}

/** The best item at an instant: urgent campaigns first, then priority, then the freshest. */
function bestItem(items: readonly NudgeItem[], at: number): NudgeItem | null {
  let best: NudgeItem | null = null
  let bestKey: [number, number, number] | null = null
  for (const item of items) {
    if (!availableAt(item, at)) continue
    const urgent = item.deadline !== null && item.deadline - at < PLAN.urgentMs ? 1 : 0
    const key: [number, number, number] = [urgent, item.priority, item.availableAt]
    if (
      !bestKey ||
      key[0] > bestKey[0] ||
      (key[0] === bestKey[0] &&
        (key[1] > bestKey[1] || (key[1] === bestKey[1] && key[2] > bestKey[2])))
    ) {
      best = item
      bestKey = key
    }
  }
  return best
}

type Slot = { at: number; score: number; index: number }

/** The allowed slots of a local day (working day, outside quiet hours), with their scores. */
function daySlots(day: string, input: PlanInput, model: AudienceModel): Slot[] {
  const weekday = weekdayOf(day)
  if (!input.settings.nudges.workingDays.includes(weekday)) return []
  const slots: Slot[] = []
  for (const { at, minute } of slotsOfDay(day, input.zone)) {
    if (inQuietHours(input.settings.quietHours, minute, SLOT_MINUTES)) continue
    const s = minute / SLOT_MINUTES
    slots.push({ at, score: model.score[weekday * SLOTS_PER_DAY + s] ?? 0, index: s })
  }
  return slots
}

/**
 * The next nudge from `now`, or null. Pure: the scheduler calls it again whenever anything
 * changes, and the same state always gives the same answer (so replanning never drifts).
 *
 * Per local day and network: the allowed slots whose score is near the day's best and where some
 * nudgeable item is available; of those, the best ones the daily cap still allows (apart by the
 * minimum gap); the earliest of them is the network's next slot. The nudge goes at a per-member
 * place within the good window around it (colleagues spread out), never before `now`. Urgent
 * campaign items may take an earlier good-enough slot before their deadline.
 */
export function planNext(input: PlanInput): PlannedNudge | null {
  const { settings } = input
  if (settings.nudgesPaused) return null
  const items = nudgeable(input)
  if (items.length === 0) return null
  const gap = settings.nudges.minGapMinutes * MINUTE
  const last = input.history.reduce((max, past) => Math.max(max, past.at), -Infinity)
  const start = Math.max(input.now, input.snoozedUntil ?? -Infinity, last + gap)
  const sentPerDay = new Map<string, number>()
  for (const past of input.history) {
    const key = `${past.network}\n${localTime(past.at, input.zone).day}`
    sentPerDay.set(key, (sentPerDay.get(key) ?? 0) + 1)
  }
  let day = localTime(start, input.zone).day
  for (let d = 0; d < PLAN.horizonDays; d++, day = nextDay(day)) {
    const plans: (PlannedNudge & { score: number })[] = []
    for (const network of settings.networks) {
      const model = input.models.get(network)
      if (!model) continue
      const remaining =
        capOf(settings.nudges, network) - (sentPerDay.get(`${network}\n${day}`) ?? 0)
      if (remaining <= 0) continue
      const planned = planDay(input, items, day, network, model, start, remaining, gap)
      if (planned) plans.push(planned)
    }
    if (plans.length === 0) continue
    // Enough new items for every network: the earliest goes first. Otherwise the item goes
    // where it reaches the larger share of that network's audience.
    const earliest = plans.reduce((a, b) => (b.at < a.at ? b : a))
    const strongest = plans.reduce((a, b) =>
      b.score > a.score || (b.score === a.score && b.at < a.at) ? b : a,
    )
    const { score: _score, ...chosen } = items.length >= plans.length ? earliest : strongest
    return chosen
  }
  return null
}

function planDay(
  input: PlanInput,
  items: readonly NudgeItem[],
  day: string,
  network: Network,
  model: AudienceModel,
  start: number,
  remaining: number,
  gap: number,
): (PlannedNudge & { score: number }) | null {
  const slots = daySlots(day, input, model)
  if (slots.length === 0) return null
  const dayBest = Math.max(...slots.map((slot) => slot.score))
  // A slot counts while any of it is still ahead.
  const open = (slot: Slot) =>
    slot.at + SLOT_MS > start && bestItem(items, Math.max(slot.at, start)) !== null
  const good = new Set(slots.filter((slot) => slot.score >= PLAN.goodShare * dayBest && open(slot)))
  let chosen: Slot | null = null
  if (good.size > 0) {
    // The best `remaining` good slots, at least a gap apart; the earliest of them comes next.
    const picked: Slot[] = []
    for (const slot of [...good].sort((a, b) => b.score - a.score || a.at - b.at)) {
      if (picked.every((p) => Math.abs(p.at - slot.at) >= gap)) picked.push(slot)
      if (picked.length >= remaining) break
    }
    chosen = picked.reduce<Slot | null>(
      (min, slot) => (!min || slot.at < min.at ? slot : min),
      null,
    )
  }
  // A campaign about to end does not wait for the best day: its best open slot before the deadline.
  const urgent = items.filter(
    (item) =>
      item.deadline !== null && item.deadline - start < PLAN.urgentMs && item.deadline > start,
  )
  let code: NudgeWhy['code'] | null = null
  let deadline: number | null = null
  for (const item of urgent) {
    const before = slots.filter(
      (slot) =>
        open(slot) &&
        slot.at + SLOT_MS <= (item.deadline ?? 0) &&
        availableAt(item, Math.max(slot.at, start)),
    )
    if (before.length === 0) continue
    const top = before.reduce((a, b) => (b.score > a.score ? b : a))
    if (!chosen || (item.deadline ?? 0) < chosen.at + SLOT_MS || top.at < chosen.at) {
      if (!chosen || top.at < chosen.at) {
        chosen = top
        code = 'deadline'
        deadline = item.deadline
      }
    }
  }
  if (!chosen) return null
  const item = bestItem(items, Math.max(chosen.at, start))
  if (!item) return null
  // The good window around the chosen slot: contiguous allowed slots scoring close to it.
  const byIndex = new Map(slots.map((slot) => [slot.index, slot]))
  let first = chosen
  let lastSlot = chosen
  for (;;) {
    const previous = byIndex.get(first.index - 1)
    if (!previous || previous.score < PLAN.windowShare * chosen.score) break
    first = previous
  }
  for (;;) {
    const next = byIndex.get(lastSlot.index + 1)
    if (!next || next.score < PLAN.windowShare * chosen.score || !availableAt(item, next.at)) break
    lastSlot = next
  }
  const span = lastSlot.at + SLOT_MS - first.at
  let at =
    first.at +
    Math.floor((staggerFraction(input.memberId, `${network}\n${day}`) * span) / MINUTE) * MINUTE
  // Late (a timer fired after its time, the machine was busy): now, not the next minute, or
  // a late timer would chase a time always a little ahead.
  at = Math.max(at, start)
  // Never past the window (start may be inside its last minute), nor into quiet hours.
  if (at >= lastSlot.at + SLOT_MS) return null
  if (inQuietHours(input.settings.quietHours, localTime(at, input.zone).minute)) return null
  if (!availableAt(item, at)) return null
  const why = explain(model)
  if (code) {
    why.code = code
    why.deadline = deadline === null ? null : new Date(deadline).toISOString()
  }
  return { at, network, itemId: item.id, why, score: chosen.score }
}

/** Settings as stored, with the nudge part defaulted. */
export function planSettings(settings: {
  networks: readonly Network[]
  nudgesPaused: boolean
  quietHours: { start: string; end: string } | null
  nudges?: NudgeSettings | undefined
}): PlanSettings {
  return {
    networks: settings.networks,
    nudgesPaused: settings.nudgesPaused,
    quietHours: settings.quietHours,
    nudges: settings.nudges ?? DEFAULT_NUDGE_SETTINGS,
  }
}
