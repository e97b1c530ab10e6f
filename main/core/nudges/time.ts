/**
 * Local time in an IANA zone, with Intl only (no tz database of our own), or in the process's own
 * zone (PROCESS_ZONE) with Date's local getters. The week is cut into slots of SLOT_MINUTES;
 * weekday 0 is Monday.
 */
export const SLOT_MINUTES = 15
export const SLOTS_PER_DAY = (24 * 60) / SLOT_MINUTES
export const SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
const MINUTE = 60_000

export type LocalTime = {
  /** 0 = Monday … 6 = Sunday. */
  weekday: number
  /** Minutes since local midnight. */
  minute: number
  /** The local calendar day, YYYY-MM-DD. */
  day: string
}

const formats = new Map<string, Intl.DateTimeFormat>()
function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    })
    formats.set(zone, f)
  }
  return f
}

const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 }

export function isTimeZone(zone: string): boolean {
  try {
    format(zone)
    return true
  } catch {
    return false
  }
}

/**
 * The zone this process runs in, by no name: what a 'system' time-zone setting means until the
 * shell reports the OS's zone (system.changed). Its local time is read with Date's local getters,
 * which use the zone ICU detected at the start, the one Intl's resolvedOptions().timeZone names:
 * the same wall times, without Intl. The first Intl.DateTimeFormat maps ~5 MiB of ICU's locale
 * data and ~1 MiB of its code into the core for good (BENCHMARKS.md, core memory at rest, session
 * 8). Not an IANA name (isTimeZone refuses it), so no setting or message can carry it.
 */
export const PROCESS_ZONE = ':process'

/** The name of the zone the machine runs in (PROCESS_ZONE's, through Intl). */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

/**
 * The memos below are for IANA zones (Intl is slow), never PROCESS_ZONE: its rules are the
 * process's, which change under the same name when TZ is assigned (Node re-reads the zone), and
 * Date's local getters are cheap.
 */
const localMemo = new Map<string, LocalTime>()

export function localTime(instant: number, zone: string): LocalTime {
  if (zone === PROCESS_ZONE) return computeLocalTime(instant, zone)
  // Replans read the same instants (past nudges, slot starts) again and again.
  const key = `${zone}\n${instant}`
  const memo = localMemo.get(key)
  if (memo) return memo
  const computed = computeLocalTime(instant, zone)
  if (localMemo.size > 200_000) localMemo.clear()
  localMemo.set(key, computed)
  return computed
}

function computeLocalTime(instant: number, zone: string): LocalTime {
  if (zone === PROCESS_ZONE) {
    const date = new Date(instant)
    const hour = date.getHours()
    return {
      weekday: (date.getDay() + 6) % 7,
      minute: hour * 60 + date.getMinutes(),
      // As Intl's 2-digit month and day, and its numeric year.
      day: `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`,
    }
  }
  const parts: Record<string, string> = {}
  for (const part of format(zone).formatToParts(instant)) parts[part.type] = part.value
  const hour = Number(parts.hour) % 24
  return {
    weekday: WEEKDAYS[parts.weekday ?? 'Mon'] ?? 0,
    minute: hour * 60 + Number(parts.minute),
    day: `${parts.year}-${parts.month}-${parts.day}`,
  }
}

/** Memo of weekSlot: models read the same click times again at every replan. */
const slotMemo = new Map<string, number>()

/** Slot of the week (0 … SLOTS_PER_WEEK-1) an instant falls in, in the zone. */
export function weekSlot(instant: number, zone: string): number {
  if (zone === PROCESS_ZONE) return slotOf(localTime(instant, zone))
  const key = `${zone}\n${instant}`
  const memo = slotMemo.get(key)
  if (memo !== undefined) return memo
  const slot = slotOf(localTime(instant, zone))
  if (slotMemo.size > 200_000) slotMemo.clear()
  slotMemo.set(key, slot)
  return slot
}

function slotOf(t: LocalTime): number {
  return t.weekday * SLOTS_PER_DAY + Math.floor(t.minute / SLOT_MINUTES)
}

const dayMemo = new Map<string, { at: number; minute: number }[]>()

/**
 * The instants at which each slot of a local day begins, skipping wall times that do not exist
 * (spring forward) and taking the first of repeated ones (autumn).
 */
export function slotsOfDay(day: string, zone: string): { at: number; minute: number }[] {
  const key = `${zone}\n${day}`
  const memo = zone === PROCESS_ZONE ? undefined : dayMemo.get(key)
  if (memo) return memo
  const slots: { at: number; minute: number }[] = []
  for (let s = 0; s < SLOTS_PER_DAY; s++) {
    const minute = s * SLOT_MINUTES
    const at = instantOf(day, minute, zone)
    const local = localTime(at, zone)
    if (local.day === day && local.minute === minute) slots.push({ at, minute })
  }
  if (zone === PROCESS_ZONE) return slots
  if (dayMemo.size > 20_000) dayMemo.clear()
  dayMemo.set(key, slots)
  return slots
}

/** Offset of the zone from UTC at an instant, in minutes (Paris in summer: +120). */
function offsetMinutes(instant: number, zone: string): number {
  const t = localTime(instant, zone)
  const [y, m, d] = t.day.split('-').map(Number) as [number, number, number]
  const asUtc = Date.UTC(y, m - 1, d) + t.minute * MINUTE
  return Math.round((asUtc - Math.floor(instant / MINUTE) * MINUTE) / MINUTE)
}

/**
 * The instant of a local wall time. A time skipped by a spring-forward change maps to the same
 * minute after the change (02:30 → 03:30 in Paris); a repeated autumn hour maps to its first
 * occurrence.
 */
export function instantOf(day: string, minute: number, zone: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const naive = Date.UTC(y, m - 1, d) + minute * MINUTE
  // Offsets change at most once around a given wall time: the ones 12 h either side cover it.
  const before = naive - offsetMinutes(naive - 12 * 3_600_000, zone) * MINUTE
  const after = naive - offsetMinutes(naive + 12 * 3_600_000, zone) * MINUTE
  const valid = [before, after].filter((at) => sameWall(at, day, minute, zone))
  if (valid.length > 0) return Math.min(...valid)
  // Skipped (spring forward): read with the offset before the change, i.e. the minute after it.
  return before
}

function sameWall(instant: number, day: string, minute: number, zone: string): boolean {
  const t = localTime(instant, zone)
  return t.day === day && t.minute === minute
}

/** The local day after `day` (calendar arithmetic, no zone involved). */
export function nextDay(day: string, by = 1): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + by)).toISOString().slice(0, 10)
}

/** Weekday (0 = Monday) of a calendar day. */
export function weekdayOf(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7
}

/** "HH:MM" → minutes since midnight. */
export function parseClock(text: string): number {
  const [h, m] = text.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}

export function formatClock(minute: number): string {
  const m = ((minute % 1440) + 1440) % 1440
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}
