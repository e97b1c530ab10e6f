import { z } from 'zod'
import { NETWORK_NAMES, Network } from '../model/networks'

/**
 * Why a nudge comes now, as a code and variables (windows translate it); `whyText` renders it in
 * English or French for the notification and the simulator.
 */
export const NudgeWhy = z.object({
  code: z.enum(['learned', 'pooled', 'prior', 'deadline']),
  network: Network,
  /** The audience's busiest window: weekday 0 = Monday, local HH:MM. */
  weekday: z.number().int().min(0).max(6),
  from: z.string(),
  to: z.string(),
  /** Clicks the curve learned from (after decay), rounded. */
  clicks: z.number().int().min(0),
  /** For 'deadline': the campaign's deadline, ISO. */
  deadline: z.string().nullable(),
})
export type NudgeWhy = z.infer<typeof NudgeWhy>

const DAYS = {
  en: ['Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays', 'Sundays'],
  fr: [
    'le lundi',
    'le mardi',
    'le mercredi',
    'le jeudi',
    'le vendredi',
    'le samedi',
    'le dimanche',
  ],
}

export function whyText(why: NudgeWhy, language: 'en' | 'fr' = 'en'): string {
  const network = NETWORK_NAMES[why.network]
  const day = DAYS[language][why.weekday] ?? ''
  const span = language === 'fr' ? `de ${why.from} à ${why.to}` : `${why.from}–${why.to}`
  if (language === 'fr') {
    switch (why.code) {
      case 'learned':
        return `Votre audience ${network} clique surtout ${day} ${span}.`
      case 'pooled':
        return `Les audiences ${network} de vos collègues cliquent surtout ${day} ${span}.`
      case 'prior':
        return `Peu de clics pour l'instant : sur ${network}, on lit surtout ${day} ${span}.`
      case 'deadline':
        return `La campagne se termine bientôt ; sur ${network}, votre audience est là ${day} ${span}.`
    }
  }
  switch (why.code) {
    case 'learned':
      return `Your ${network} audience clicks most on ${day} ${span}.`
    case 'pooled':
      return `Your colleagues' ${network} audiences click most on ${day} ${span}.`
    case 'prior':
      return `Few clicks so far: ${network} is read most on ${day} ${span}.`
    case 'deadline':
      return `The campaign ends soon; your ${network} audience is there on ${day} ${span}.`
  }
}
