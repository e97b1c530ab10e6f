import type { Nudge, Settings } from '../../common/contract/api'
import { whyText } from '../../common/nudges/why'
import { type Language, systemLanguage, translate } from '../../renderer/src/i18n/messages'

export type NudgeNotificationText = {
  language: Language
  title: string
  body: string
  share: string
  later: string
}

/**
 * The notification's texts in the person's language, from the windows' own dictionaries and the
 * core's "why" renderer (common/nudges/why.ts): 'system' follows the OS locales the shell passes
 * (the core cannot see them, so its whyText may be in the wrong language; the code is rendered again).
 */
export function nudgeNotificationText(
  nudge: Pick<Nudge, 'title' | 'why'>,
  setting: Settings['language'] | undefined,
  systemLanguages: readonly string[],
): NudgeNotificationText {
  const language = setting === 'en' || setting === 'fr' ? setting : systemLanguage(systemLanguages)
  return {
    language,
    title: nudge.title,
    body: whyText(nudge.why, language),
    share: translate(language, 'nudges.share'),
    later: translate(language, 'nudges.later'),
  }
}
