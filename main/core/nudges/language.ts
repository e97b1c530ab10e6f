/**
 * What "system" means for the texts the core writes itself (a nudge's whyText): the first of the
 * OS's preferred languages we have, as the shell reports them (Electron's
 * app.getPreferredSystemLanguages, sent with the core's `open`); without them (the dev host, a
 * plain Node run), the process's locale: LC_ALL, LC_MESSAGES, LANG, then Intl's default.
 * The windows resolve 'system' the same way (renderer/src/i18n/messages.ts systemLanguage).
 */
export type CoreLanguage = 'en' | 'fr'

export function languageOf(tags: readonly string[]): CoreLanguage {
  for (const tag of tags) {
    const base = tag.toLowerCase().split(/[-_.@]/)[0]
    if (base === 'fr' || base === 'en') return base
  }
  return 'en'
}

/** The process's own locales, most specific first (POSIX variables, then Intl). */
export function processLanguages(env: NodeJS.ProcessEnv = process.env): string[] {
  const tags: string[] = []
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG', 'LANGUAGE'] as const) {
    const value = env[name]
    // "C" and "POSIX" say nothing about the person's language.
    if (value && value !== 'C' && value !== 'POSIX' && !value.startsWith('C.')) {
      tags.push(...value.split(':').filter(Boolean))
    }
  }
  tags.push(Intl.DateTimeFormat().resolvedOptions().locale)
  return tags
}
