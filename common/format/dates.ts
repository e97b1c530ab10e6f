/**
 * Dates and day counts as people read them, the same in every window (popover and studio): one
 * function each, so "3 days left" never disagrees between two windows.
 */

/**
 * One formatter per zone: building an Intl.DateTimeFormat costs far more than formatting, and a
 * popover's first screen counts days left twice per campaign row (issue 7.8's paint profile).
 */
const zoneFormats = new Map<string, Intl.DateTimeFormat>()

function dayFormat(timeZone: string): Intl.DateTimeFormat {
  const cached = zoneFormats.get(timeZone)
  if (cached) return cached
  // An unknown zone throws here, as before, and is not kept.
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
  zoneFormats.set(timeZone, format)
  return format
}

/**
 * The calendar day of an instant in a time zone, as a UTC midnight in milliseconds. The system's
 * zone (no zone set) reads Date's local fields: the same day, without the first Intl formatter,
 * which cost 20–35 ms of the popover's answer-to-paint (ICU's data, first use), and they follow
 * a change of the system's zone by themselves.
 */
function calendarDay(instant: Date, timeZone: string | undefined): number {
  if (timeZone === undefined) {
    return Date.UTC(instant.getFullYear(), instant.getMonth(), instant.getDate())
  }
  return Date.parse(`${dayFormat(timeZone).format(instant)}T00:00:00Z`)
}

/**
 * Calendar days left before a deadline in the viewer's time zone: 0 on its last day, -1 once it
 * has passed (to the minute: a deadline at 18:00 has passed at 18:01 the same day).
 */
export function campaignDaysLeft(deadline: string, now: Date, timeZone?: string): { days: number } {
  const end = new Date(deadline)
  if (end.getTime() < now.getTime()) return { days: -1 }
  return {
    days: Math.max(
      0,
      Math.round((calendarDay(end, timeZone) - calendarDay(now, timeZone)) / 86_400_000),
    ),
  }
}

/** French reads time on a 24-hour clock whatever the system's habit; English follows the locale. */
function hourCycle(language: string): { hourCycle?: 'h23' } {
  return language.toLowerCase().startsWith('fr') ? { hourCycle: 'h23' } : {}
}

type Instant = string | number | Date | null
type DateOptions = { timeZone?: string | null; style?: 'medium' | 'long' }

/** Formats a valid instant with the given fields; a missing or unreadable instant reads as ''. */
function formatInstant(
  instant: Instant,
  language: string,
  timeZone: string | null | undefined,
  fields: Intl.DateTimeFormatOptions,
): string {
  if (instant === null) return ''
  const date = new Date(instant)
  if (Number.isNaN(date.getTime())) return ''
  return new Intl.DateTimeFormat(language, {
    ...fields,
    ...(timeZone ? { timeZone } : {}),
  }).format(date)
}

/** A date and time in the person's language ("12 mars 2026, 14:30" / "Mar 12, 2026, 2:30 PM"). */
export function formatDateTime(
  instant: Instant,
  language: string,
  options: DateOptions = {},
): string {
  return formatInstant(instant, language, options.timeZone, {
    dateStyle: options.style ?? 'medium',
    timeStyle: 'short',
    ...hourCycle(language),
  })
}

/** A date without time, in the person's language ("12 mars 2026"). */
export function formatDay(instant: Instant, language: string, options: DateOptions = {}): string {
  return formatInstant(instant, language, options.timeZone, { dateStyle: options.style ?? 'long' })
}
