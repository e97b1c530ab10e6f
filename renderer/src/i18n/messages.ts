/** Every string the windows show, in English and French. Keys are shared; missing ones fail typecheck. */
const en = {
  appName: 'Porte-voix',
  'status.offline': 'Offline',
  'status.connecting': 'Connecting…',
  'status.synced': 'Up to date',
  'join.title': 'Join your workspace',
  'join.help': 'Paste the invitation link your champion sent you (porte-voix://join?…).',
  'join.placeholder': 'porte-voix://join?relay=…&token=…',
  'join.submit': 'Join',
  'join.joining': 'Joining…',
  'queue.title': 'To share',
  'queue.empty': 'Nothing to share right now. Your champions will add content soon.',
  'queue.emptyFiltered': 'Nothing matches these filters.',
  'queue.allObjectives': 'All objectives',
  'queue.allTopics': 'All topics',
  'objective.awareness': 'Awareness',
  'objective.campaign': 'Campaign',
  'objective.talent': 'Talent',
  'item.back': 'Back',
  'item.why': 'Why it matters',
  'item.source': 'Source',
  'item.caption': 'Suggested caption',
  'item.noCaption': 'No suggested caption for this network: write your own.',
  'error.generic': 'Something went wrong',
  'core.unreachable': 'The Porte-voix core is not reachable.',
} as const

export type MessageKey = keyof typeof en

const fr: Record<MessageKey, string> = {
  appName: 'Porte-voix',
  'status.offline': 'Hors ligne',
  'status.connecting': 'Connexion…',
  'status.synced': 'À jour',
  'join.title': 'Rejoindre votre espace',
  'join.help': "Collez le lien d'invitation envoyé par votre champion (porte-voix://join?…).",
  'join.placeholder': 'porte-voix://join?relay=…&token=…',
  'join.submit': 'Rejoindre',
  'join.joining': 'Connexion…',
  'queue.title': 'À partager',
  'queue.empty': 'Rien à partager pour le moment. Vos champions ajouteront bientôt du contenu.',
  'queue.emptyFiltered': 'Rien ne correspond à ces filtres.',
  'queue.allObjectives': 'Tous les objectifs',
  'queue.allTopics': 'Tous les sujets',
  'objective.awareness': 'Notoriété',
  'objective.campaign': 'Campagne',
  'objective.talent': 'Recrutement',
  'item.back': 'Retour',
  'item.why': 'Pourquoi c’est important',
  'item.source': 'Source',
  'item.caption': 'Texte suggéré',
  'item.noCaption': 'Pas de texte suggéré pour ce réseau : écrivez le vôtre.',
  'error.generic': 'Une erreur est survenue',
  'core.unreachable': 'Le cœur de Porte-voix est injoignable.',
}

export type Language = 'en' | 'fr'

export const dictionaries: Record<Language, Record<MessageKey, string>> = { en, fr }

/** The system language when it is one we speak, else English. */
export function systemLanguage(languages: readonly string[]): Language {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0]
    if (base === 'fr' || base === 'en') return base
  }
  return 'en'
}
