/**
 * What "system" means for the texts the core writes itself (a nudge's whyText): the first of the
 * OS's preferred languages we have, as the shell reports them (Electron's
 * app.getPreferredSystemLanguages, sent with the core's `open`); without them (the dev host, a
 * plain Node run), the process's locale: LC_ALL, LC_MESSAGES, LANG, then Intl's default.
 * The windows resolve 'system' the same way (renderer/src/i18n/messages.ts systemLanguage).
 */
export type CoreLanguage = 'en' | 'fr'

const CORE_LANGUAGES: readonly string[] = ['en', 'fr'] satisfies CoreLanguage[]

/** "fr_CA.UTF-8", "fr-CA", "fr@euro" → "fr". */
function baseOf(tag: string): string {
  return tag.toLowerCase().split(/[-_.@]/)[0] ?? ''
}

export function languageOf(tags: readonly string[]): CoreLanguage {
  for (const tag of tags) {
    const base = baseOf(tag)
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
  // Intl's default only when the variables name neither language (languageOf would stop before
  // it), and through PluralRules: the base language is what counts, and the first
  // Intl.DateTimeFormat maps ~5 MiB of ICU's data into the core for good, PluralRules <1 MiB
  // (BENCHMARKS.md, core memory at rest, session 8).
  if (!tags.some((tag) => CORE_LANGUAGES.includes(baseOf(tag)))) {
    tags.push(new Intl.PluralRules().resolvedOptions().locale)
  }
  return tags
}
