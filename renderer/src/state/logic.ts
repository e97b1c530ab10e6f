/**
 * Pure popover logic, kept out of components so it can be unit-tested without a DOM.
 */
import type { QueueEntry, Settings } from '../../../common/contract/api'
import type { Campaign } from '../../../common/model/campaign'
import type { Objective } from '../../../common/model/item'
import { NETWORKS, type Network } from '../../../common/model/networks'
import { placeholders } from '../../../common/share/captions'
import { type Measure, measure } from '../../../common/share/length'
import { trackedUrl } from '../../../common/share/tracked-link'
import { type Language, systemLanguage } from '../i18n/messages'

/** The language the UI speaks: the setting, or the system's when the setting is "system". */
export function resolveLanguage(
  setting: Settings['language'] | undefined,
  systemLanguages: readonly string[],
): Language {
  return setting === 'en' || setting === 'fr' ? setting : systemLanguage(systemLanguages)
}

/** The `data-theme` attribute: absent when following the system (CSS then uses the media query). */
export function themeAttribute(setting: Settings['theme'] | undefined): 'light' | 'dark' | null {
  return setting === 'light' || setting === 'dark' ? setting : null
}

export type Segment = { text: string; placeholder: boolean }

/** A caption cut into plain text and `{{…}}` placeholders, for highlighting (never as markup). */
export function captionSegments(text: string): Segment[] {
  const segments: Segment[] = []
  let at = 0
  for (const found of placeholders(text)) {
    if (found.start > at) segments.push({ text: text.slice(at, found.start), placeholder: false })
    segments.push({ text: text.slice(found.start, found.end), placeholder: true })
    at = found.end
  }
  if (at < text.length) segments.push({ text: text.slice(at), placeholder: false })
  return segments
}

// A syntactically valid share id, only to build a link of the real shape for counting.
const SAMPLE_SHARE_ID = '0'.repeat(20)

/**
 * The link as it will be posted (with UTM parameters), so the counter measures what the network
 * will count. Falls back to the bare URL if it cannot be tracked (the core will refuse it anyway).
 */
export function previewLink(url: string, network: Network, campaign: Campaign | null): string {
  try {
    return trackedUrl(url, { network, campaign: campaign?.name ?? null, shareId: SAMPLE_SHARE_ID })
  } catch {
    return url
  }
}

export type ShareCheck = {
  measure: Measure
  /** Labels of the `{{…}}` still in the text. */
  unfilled: string[]
  /** Why the Share button is disabled, or null when sharing is allowed. */
  blockedBy: 'placeholders' | 'over' | null
}

/** Whether this caption may be shared on this network, and its length the network's way. */
export function checkShare(network: Network, text: string, link: string): ShareCheck {
  const counted = measure(network, text, link)
  const unfilled = placeholders(text).map((found) => found.label)
  // An empty caption is allowed: the link alone is shared and the person may write on the page.
  const blockedBy = unfilled.length ? 'placeholders' : counted.over ? 'over' : null
  return { measure: counted, unfilled, blockedBy }
}

/** Which helpful message to show for a share error the core returned (its text stays shown too). */
export function classifyShareError(message: string): 'mastodon' | 'link' | 'other' {
  if (/mastodon/i.test(message)) return 'mastodon'
  if (/cannot be shared|not a web link|http:\/\/ or https:\/\//i.test(message)) return 'link'
  return 'other'
}

/** Only https images are shown: http would be mixed content and is refused by the CSP anyway. */
export function safeImageUrl(url: string | null): string | null {
  if (!url) return null
  try {
    return new URL(url).protocol === 'https:' ? url : null
  } catch {
    return null
  }
}

// One count of days left for every window (the studio uses the same): see common/format.
export { campaignDaysLeft } from '../../../common/format/dates'

export type QueueFilterState = { objective: Objective | null; topic: string | null }

/** Client-side filtering keeps the core's ranking and the full topic list, and works offline. */
export function filterQueue(
  entries: readonly QueueEntry[],
  filter: QueueFilterState,
): QueueEntry[] {
  return entries.filter(
    (entry) =>
      (filter.objective === null || entry.item.objective === filter.objective) &&
      (filter.topic === null || entry.item.topics.includes(filter.topic)),
  )
}

/** One collator per language: `localeCompare(b, language)` may build one per comparison. */
const collators = new Map<Language, Intl.Collator>()

/** Every topic of the queue, sorted the viewer's way. */
export function queueTopics(entries: readonly QueueEntry[], language: Language): string[] {
  const topics = new Set<string>()
  for (const entry of entries) for (const topic of entry.item.topics) topics.add(topic)
  let collator = collators.get(language)
  if (!collator) {
    collator = new Intl.Collator(language)
    collators.set(language, collator)
  }
  return [...topics].sort(collator.compare)
}

/** Bar heights in percent of the busiest day (a day with shares is never drawn invisible). */
export function barHeights(counts: readonly number[]): number[] {
  const max = Math.max(0, ...counts)
  if (max === 0) return counts.map(() => 0)
  return counts.map((count) => (count === 0 ? 0 : Math.max(6, Math.round((count / max) * 100))))
}

/** Key of an edited caption: edits are kept per item and network until the popover closes. */
export function draftKey(itemId: string, network: Network): string {
  return `${itemId}|${network}`
}

export type SettingsDraft = {
  networks: Network[]
  mastodonInstance: string
  timeZone: string
  quiet: boolean
  quietStart: string
  quietEnd: string
  language: Settings['language']
  theme: Settings['theme']
}

export function settingsDraft(settings: Settings): SettingsDraft {
  return {
    networks: settings.networks,
    mastodonInstance: settings.mastodonInstance ?? '',
    timeZone: settings.timeZone ?? '',
    quiet: settings.quietHours !== null,
    quietStart: settings.quietHours?.start ?? '21:00',
    quietEnd: settings.quietHours?.end ?? '08:00',
    language: settings.language,
    theme: settings.theme,
  }
}

/** Empty means "not set"; a pasted Mastodon server is trimmed down to its host name. */
export function settingsPatch(draft: SettingsDraft): Partial<Settings> {
  const instance = draft.mastodonInstance
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '')
  return {
    // Kept in the popover's order, whatever order they were ticked in.
    networks: NETWORKS.filter((network) => draft.networks.includes(network)),
    mastodonInstance: instance === '' ? null : instance,
    timeZone: draft.timeZone.trim() === '' ? null : draft.timeZone.trim(),
    quietHours: draft.quiet ? { start: draft.quietStart, end: draft.quietEnd } : null,
    language: draft.language,
    theme: draft.theme,
  }
}

/**
 * The first invitation link in arbitrary text (an e-mail pasted whole): `porte-voix://join?…`, or
 * an https link whose query carries `relay` and `token` (a web page that opens the app), given
 * back as `porte-voix://join?…`. Mail clients' artefacts are undone: `&amp;`, quoted-printable
 * soft line breaks, `<…>` around links. The text itself when no link is found.
 */
export function extractInvitation(text: string): string {
  const unwrapped = text
    .replace(/=\r?\n/g, '')
    .replace(/&amp;/gi, '&')
    .replace(/=3D/g, '=')
  const link = /porte-voix:\/\/join\?[^\s<>"')\]]+/i.exec(unwrapped)?.[0]
  if (link) return link.replace(/[.,;:!?]+$/, '')
  for (const found of unwrapped.matchAll(/https:\/\/[^\s<>"')\]]+/gi)) {
    try {
      const url = new URL(found[0].replace(/[.,;:!?]+$/, ''))
      const relay = url.searchParams.get('relay')
      const token = url.searchParams.get('token')
      if (relay && token && /\/join\/?$/.test(url.pathname)) {
        return `porte-voix://join?${new URLSearchParams({ relay, token }).toString()}`
      }
    } catch {
      // Not a URL after all: look further.
    }
  }
  return text.trim()
}
