import type { Network } from '../../../common/model/networks'

/** The networks' names: brands, the same in every language and in both windows. */
export const NETWORK_NAMES: Record<Network, string> = {
  linkedin: 'LinkedIn',
  x: 'X',
  facebook: 'Facebook',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
  whatsapp: 'WhatsApp',
  email: 'E-mail',
}

const networkMessages = Object.fromEntries(
  Object.entries(NETWORK_NAMES).map(([network, name]) => [`network.${network}`, name]),
) as { [N in Network as `network.${N}`]: string }

/**
 * Every string the windows show, in English and French. Keys are shared; a key missing in French
 * fails typecheck. `{name}` marks a value filled in by `format`.
 */
const en = {
  appName: 'Porte-voix',
  'status.offline': 'Offline',
  'status.connecting': 'Connecting…',
  'status.synced': 'Up to date',
  'status.offlineBanner':
    'You are offline. Your queue and stats still work; shares are sent later.',
  'status.pending.one': '{n} share or proposal waiting to be sent',
  'status.pending.other': '{n} shares or proposals waiting to be sent',
  'nav.queue': 'Share',
  'nav.propose': 'Propose',
  'nav.stats': 'My stats',
  'nav.settings': 'Settings',
  'join.title': 'Join your workspace',
  'join.help': 'Paste the invitation link your champion sent you (porte-voix://join?…).',
  'join.placeholder': 'porte-voix://join?relay=…&token=…',
  'join.submit': 'Join',
  'join.joining': 'Joining…',
  'join.details': 'Joins as {name} ({role}) through the relay {relay}.',
  'join.dismiss': 'Not now',
  'join.expires': 'Valid until {date}.',
  'join.expired': 'This invitation expired on {date}. Ask your admin for a new one.',
  'join.found': 'Invitation link found in the pasted text.',
  'join.alreadyJoined':
    'This device already belongs to another workspace or person. Leave it in Settings first.',
  'join.unreachable':
    'Joined, but the relay {relay} cannot be reached right now: your queue will appear as soon as it answers.',
  'queue.title': 'To share',
  'queue.empty': 'Nothing to share right now. Your champions will add content soon.',
  'queue.emptyCurator': 'Nothing is published yet. Add and publish content in the studio.',
  'queue.waiting':
    'Your queue is not here yet: the relay {relay} cannot be reached. It will appear as soon as the relay answers.',
  'queue.waitingNoHost':
    'Your queue is not here yet: the relay cannot be reached. It will appear as soon as the relay answers.',
  'studio.open': 'Open studio',
  'queue.emptyFiltered': 'Nothing matches these filters.',
  'queue.clearFilters': 'Clear filters',
  'queue.allObjectives': 'All objectives',
  'queue.allTopics': 'All topics',
  'queue.count.one': '{n} item',
  'queue.count.other': '{n} items',
  'queue.sharedOn': 'Shared on {networks}',
  'objective.awareness': 'Awareness',
  'objective.campaign': 'Campaign',
  'objective.talent': 'Talent',
  'campaign.daysLeft.one': '{n} day left',
  'campaign.daysLeft.other': '{n} days left',
  'campaign.endsToday': 'ends today',
  'campaign.ended': 'ended',
  ...networkMessages,
  'item.back': 'Back',
  'item.why': 'Why it matters',
  'item.source': 'Source: {source}',
  'item.open': 'Open the article',
  'item.imageAlt': 'Illustration: {title}',
  'item.caption': 'Your caption',
  'item.captionHelp': 'A suggestion: make it your own before sharing.',
  'item.noCaption': 'No suggested caption for this network: write your own.',
  'item.noNetworks': 'Choose the networks you use in Settings.',
  'item.reset': 'Back to the suggestion',
  'item.length': '{used} / {limit}',
  'item.lengthNoLimit': '{used} characters',
  'item.over': '{n} over {network}’s limit: shorten it to share.',
  'item.placeholders': 'Add your personal touch: replace the highlighted parts.',
  'item.placeholdersBlock': 'Replace every {{…}} with your own words to share.',
  'item.share': 'Share on {network}',
  'item.sharing': 'Sharing…',
  'item.shareAgain': 'Share again on {network}',
  'item.sharedOn': 'Shared on {network}',
  'item.copiedPaste': 'Caption copied — paste it in {network}.',
  'item.copied': 'Caption copied; {network} opened with your text.',
  'item.copyFailed': 'Could not copy the caption: select it and copy it yourself.',
  'item.emptyCaption': 'Write a caption to share.',
  'item.openedHint': 'The share page opened in your browser.',
  'error.mastodon': 'Set your Mastodon server (e.g. mastodon.social) to share on Mastodon.',
  'error.link': 'This link cannot be shared.',
  'error.openSettings': 'Open Settings',
  'error.generic': 'Something went wrong',
  'error.dismiss': 'Dismiss',
  'error.itemGone': 'This item is no longer in your queue (withdrawn or expired).',
  'error.openFailed': 'The share page could not be opened, so nothing was shared. Try again.',
  'error.notJoined': 'Join a workspace first: paste your invitation link.',
  'problem.invitationExpired': 'This invitation has expired. Ask your admin for a new one.',
  'problem.invitationRevoked':
    'This invitation was withdrawn (you were removed, or a newer invitation replaced it). Ask your admin for a new one.',
  'problem.invitationInvalid':
    'The relay did not accept this invitation (expired or not valid). Ask your admin for a new one.',
  'problem.invitationMalformed':
    'This is not a complete invitation link. Paste the whole porte-voix://join?… link from your invitation.',
  'problem.wrongRelay':
    'This invitation belongs to another relay or workspace. Check that you used the latest link.',
  'problem.relayUnreachable':
    'The relay {relay} cannot be reached (no network, or the relay is down). Porte-voix keeps trying.',
  'problem.relayUnreachableNoHost':
    'The relay cannot be reached (no network, or the relay is down). Porte-voix keeps trying.',
  'problem.relayRefused': 'The relay refused access to this workspace. Ask your admin.',
  'problem.memberRemoved': 'You are no longer a member of this workspace. Ask your admin.',
  'problem.roleChanged': 'Your role changed; Porte-voix reconnects with your new access.',
  'problem.tooManyConnections':
    'Too many of your devices or windows are connected at once. Close one and Porte-voix reconnects.',
  'problem.closedForGood':
    'The relay closed the connection for good. Ask your admin for a new invitation.',
  'problem.changeTooLarge': 'This change is too large to be sent. Make it smaller.',
  'problem.changeRefused': 'The relay refused this change.',
  'problem.fieldTooLong': 'This text is too long. Shorten it.',
  'problem.tooManyVariants': 'Too many caption variants.',
  'problem.notAllowed': 'Your role does not allow this.',
  'problem.notFound': 'This no longer exists (removed meanwhile?).',
  'problem.conflict': 'This was changed meanwhile. Look again and retry.',
  'problem.invalidInput': 'Something you entered is not valid. Check it and retry.',
  'problem.rateLimited': 'Too many requests. Wait a moment and retry.',
  'problem.storageFull': 'The disk is full: free some space and retry.',
  'problem.storageFailed': 'Porte-voix could not save on this computer. Retry.',
  'problem.feedUnreachable': 'The feed cannot be reached.',
  'problem.feedInvalid': 'This is not a feed Porte-voix can read.',
  'problem.feedAddressRefused': 'This feed’s address is inside a private network: refused.',
  'problem.feedTooLarge': 'This feed is too large.',
  'problem.internal': 'Something went wrong in Porte-voix. Retry; if it persists, restart the app.',
  'propose.title': 'Propose content',
  'propose.help':
    'Found something worth sharing? Your champions review it before it joins the queue.',
  'propose.url': 'Link',
  'propose.urlPlaceholder': 'https://…',
  'propose.titleField': 'Title',
  'propose.note': 'Note for the champions',
  'propose.notePlaceholder': 'Why it matters, who is involved…',
  'propose.caption': 'Suggested caption',
  'propose.submit': 'Send proposal',
  'propose.sending': 'Sending…',
  'propose.sent': 'Proposal sent. Thank you!',
  'propose.queued':
    'You are offline: your proposal is saved and will be sent to the champions when you are back online.',
  'propose.invalid': 'Check the link (it must start with https://) and the title.',
  'propose.mine': 'My proposals',
  'propose.none': 'You have not proposed anything yet.',
  'proposal.sending': 'Waiting to be sent',
  'proposal.pending': 'Pending review',
  'proposal.approved': 'Approved',
  'proposal.rejected': 'Rejected',
  'proposal.reason': 'Reason: {reason}',
  'proposal.refusedByRelay': 'The relay did not accept this proposal.',
  'stats.title': 'My stats',
  'nudges.open': 'Open',
  'nudges.later': 'Later',
  'nudges.dismiss': 'Not this one',
  'nudges.audience': 'When your audience is there',
  'nudges.next': 'Next nudge: {when}, “{title}”. {why}',
  'nudges.none': 'No nudge planned: nothing new to share yet.',
  'nudges.paused': 'Nudges are paused.',
  'nudges.settings': 'Nudges',
  'nudges.pause': 'Pause nudges',
  'nudges.snooze': 'Snooze:',
  'nudges.snooze.hour': '1 hour',
  'nudges.snooze.evening': 'until this evening',
  'nudges.snooze.tomorrow': 'until tomorrow',
  'nudges.snoozedUntil': 'no nudge before {when}',
  'nudges.workingDays': 'Days:',
  'nudges.cap': '{network} per day',
  'nudges.gap': 'At least',
  'nudges.gapHours': '{n} h between nudges',
  'stats.local': 'Counted on this computer; they stay with you.',
  'stats.today': 'Today',
  'stats.week': 'This week',
  'stats.month': 'This month',
  'stats.streak': 'Streak',
  'stats.streakDays': '{n} d',
  'stats.longest.one': 'Longest streak: {n} day',
  'stats.longest.other': 'Longest streak: {n} days',
  'stats.total.one': '{n} share in all',
  'stats.total.other': '{n} shares in all',
  'stats.last30': 'Last 30 days',
  'stats.chartLabel': 'Shares per day over the last 30 days',
  'stats.dayCount': '{date}: {n}',
  'stats.byNetwork': 'By network',
  'stats.byObjective': 'By objective',
  'stats.none': 'No shares yet.',
  'settings.title': 'Settings',
  'settings.networks': 'Networks I use',
  'settings.mastodon': 'Mastodon server',
  'settings.mastodonHelp': 'Just the server name, e.g. mastodon.social',
  'settings.timeZone': 'Time zone',
  'settings.timeZoneSystem': 'System ({zone})',
  'settings.quietHours': 'Quiet hours (no nudges)',
  'settings.quietFrom': 'From',
  'settings.quietTo': 'to',
  'settings.language': 'Language',
  'settings.theme': 'Theme',
  'settings.system': 'Same as the system',
  'settings.light': 'Light',
  'settings.dark': 'Dark',
  'settings.english': 'English',
  'settings.french': 'Français',
  'settings.save': 'Save',
  'settings.saving': 'Saving…',
  'settings.saved': 'Saved.',
  'settings.needNetwork': 'Choose at least one network.',
  'settings.invalid': 'A setting is not valid. Check it and save again.',
  'account.title': 'Account',
  'account.who': 'Signed in as {name} ({role})',
  'account.workspace': 'Workspace: {workspace}',
  'account.relay': 'Relay: {relay}',
  'account.role.employee': 'employee',
  'account.role.champion': 'champion',
  'account.role.admin': 'admin',
  'account.export': 'Export my data',
  'account.exportHelp':
    'A JSON file with what this computer holds about you: settings, shares, stats and proposals.',
  'account.exported': 'Saved as {file}.',
  'account.leave': 'Leave the workspace',
  'account.leaveHelp':
    'Deletes the workspace’s content from this computer (queue, studio data). Kept here: your settings, your share history and stats. Your shares and proposals already sent stay with the workspace.',
  'account.leaveConfirm': 'Leave {workspace}?',
  'account.leaveDelete': 'Leave and delete my data',
  'account.leaveDeleteHelp':
    'Also deletes from this computer your settings, share history, stats, proposals and anything waiting to be sent.',
  'account.relayKept':
    'The relay keeps what it already received (your shares and proposals, without stats); ask your admin to delete it (relay:admin delete-member).',
  'account.relayDeleted': 'The relay deleted what it held about you, except anonymous totals.',
  'account.confirm': 'Yes, leave',
  'account.cancel': 'Cancel',
  'account.leaving': 'Leaving…',
  'account.left':
    'You left the workspace. Its content was deleted from this computer; your settings, share history and stats are kept.',
  'account.deletedLocal':
    'You left the workspace and your data was deleted from this computer. The relay keeps what it already received (your shares and proposals); ask your admin to delete it.',
  'account.deletedAll':
    'You left the workspace and your data was deleted from this computer and from the relay (except anonymous totals).',
  'core.unreachable': 'The Porte-voix core is not reachable.',
} as const

export type MessageKey = keyof typeof en

const fr: Record<MessageKey, string> = {
  appName: 'Porte-voix',
  'status.offline': 'Hors ligne',
  'status.connecting': 'Connexion…',
  'status.synced': 'À jour',
  'status.offlineBanner':
    'Vous êtes hors ligne. File et statistiques restent disponibles ; les partages partiront plus tard.',
  'status.pending.one': '{n} envoi en attente',
  'status.pending.other': '{n} envois en attente',
  'nav.queue': 'Partager',
  'nav.propose': 'Proposer',
  'nav.stats': 'Mes stats',
  'nav.settings': 'Réglages',
  'join.title': 'Rejoindre votre espace',
  'join.help': "Collez le lien d'invitation envoyé par votre champion (porte-voix://join?…).",
  'join.placeholder': 'porte-voix://join?relay=…&token=…',
  'join.submit': 'Rejoindre',
  'join.joining': 'Connexion…',
  'join.details': 'Rejoint en tant que {name} ({role}) via le relais {relay}.',
  'join.dismiss': 'Plus tard',
  'join.expires': 'Valable jusqu’au {date}.',
  'join.expired': 'Cette invitation a expiré le {date}. Demandez-en une nouvelle à votre admin.',
  'join.found': 'Lien d’invitation trouvé dans le texte collé.',
  'join.alreadyJoined':
    'Cet appareil appartient déjà à un autre espace ou à une autre personne. Quittez-le d’abord dans les Réglages.',
  'join.unreachable':
    'Vous avez rejoint l’espace, mais le relais {relay} est injoignable pour l’instant : votre file apparaîtra dès qu’il répondra.',
  'queue.title': 'À partager',
  'queue.empty': 'Rien à partager pour le moment. Vos champions ajouteront bientôt du contenu.',
  'queue.emptyCurator': 'Rien n’est encore publié. Ajoutez et publiez du contenu dans le studio.',
  'queue.waiting':
    'Votre file n’est pas encore là : le relais {relay} est injoignable. Elle apparaîtra dès qu’il répondra.',
  'queue.waitingNoHost':
    'Votre file n’est pas encore là : le relais est injoignable. Elle apparaîtra dès qu’il répondra.',
  'studio.open': 'Ouvrir le studio',
  'queue.emptyFiltered': 'Rien ne correspond à ces filtres.',
  'queue.clearFilters': 'Effacer les filtres',
  'queue.allObjectives': 'Tous les objectifs',
  'queue.allTopics': 'Tous les sujets',
  'queue.count.one': '{n} contenu',
  'queue.count.other': '{n} contenus',
  'queue.sharedOn': 'Partagé sur {networks}',
  'objective.awareness': 'Notoriété',
  'objective.campaign': 'Campagne',
  'objective.talent': 'Recrutement',
  'campaign.daysLeft.one': 'encore {n} jour',
  'campaign.daysLeft.other': 'encore {n} jours',
  'campaign.endsToday': 'se termine aujourd’hui',
  'campaign.ended': 'terminée',
  ...networkMessages,
  'item.back': 'Retour',
  'item.why': 'Pourquoi c’est important',
  'item.source': 'Source: {source}',
  'item.open': 'Ouvrir l’article',
  'item.imageAlt': 'Illustration : {title}',
  'item.caption': 'Votre texte',
  'item.captionHelp': 'Une suggestion : personnalisez-la avant de partager.',
  'item.noCaption': 'Pas de texte suggéré pour ce réseau : écrivez le vôtre.',
  'item.noNetworks': 'Choisissez vos réseaux dans les Réglages.',
  'item.reset': 'Revenir à la suggestion',
  'item.length': '{used} / {limit}',
  'item.lengthNoLimit': '{used} caractères',
  'item.over': '{n} de trop pour {network} : raccourcissez pour partager.',
  'item.placeholders': 'Ajoutez votre touche personnelle : remplacez les parties surlignées.',
  'item.placeholdersBlock': 'Remplacez chaque {{…}} par vos propres mots pour partager.',
  'item.share': 'Partager sur {network}',
  'item.sharing': 'Partage…',
  'item.shareAgain': 'Partager à nouveau sur {network}',
  'item.sharedOn': 'Partagé sur {network}',
  'item.copiedPaste': 'Texte copié — collez-le dans {network}.',
  'item.copied': 'Texte copié ; {network} est ouvert avec votre texte.',
  'item.copyFailed': 'Copie impossible : sélectionnez le texte et copiez-le vous-même.',
  'item.emptyCaption': 'Écrivez un texte pour partager.',
  'item.openedHint': 'La page de partage s’est ouverte dans votre navigateur.',
  'error.mastodon':
    'Indiquez votre serveur Mastodon (ex. mastodon.social) pour partager sur Mastodon.',
  'error.link': 'Ce lien ne peut pas être partagé.',
  'error.openSettings': 'Ouvrir les Réglages',
  'error.generic': 'Une erreur est survenue',
  'error.dismiss': 'Fermer',
  'error.itemGone': 'Ce contenu n’est plus dans votre file (retiré ou expiré).',
  'error.openFailed': 'La page de partage n’a pas pu s’ouvrir : rien n’a été partagé. Réessayez.',
  'error.notJoined': 'Rejoignez d’abord un espace : collez votre lien d’invitation.',
  'problem.invitationExpired': 'Cette invitation a expiré. Demandez-en une nouvelle à votre admin.',
  'problem.invitationRevoked':
    'Cette invitation a été retirée (vous avez été retiré de l’espace, ou une invitation plus récente la remplace). Demandez-en une nouvelle à votre admin.',
  'problem.invitationInvalid':
    'Le relais n’a pas accepté cette invitation (expirée ou non valable). Demandez-en une nouvelle à votre admin.',
  'problem.invitationMalformed':
    'Ce n’est pas un lien d’invitation complet. Collez le lien porte-voix://join?… entier de votre invitation.',
  'problem.wrongRelay':
    'Cette invitation appartient à un autre relais ou à un autre espace. Vérifiez que vous utilisez le dernier lien.',
  'problem.relayUnreachable':
    'Le relais {relay} est injoignable (pas de réseau, ou relais arrêté). Porte-voix réessaie.',
  'problem.relayUnreachableNoHost':
    'Le relais est injoignable (pas de réseau, ou relais arrêté). Porte-voix réessaie.',
  'problem.relayRefused': 'Le relais a refusé l’accès à cet espace. Contactez votre admin.',
  'problem.memberRemoved': 'Vous n’êtes plus membre de cet espace. Contactez votre admin.',
  'problem.roleChanged': 'Votre rôle a changé ; Porte-voix se reconnecte avec vos nouveaux droits.',
  'problem.tooManyConnections':
    'Trop de vos appareils ou fenêtres sont connectés en même temps. Fermez-en un et Porte-voix se reconnecte.',
  'problem.closedForGood':
    'Le relais a fermé la connexion définitivement. Demandez une nouvelle invitation à votre admin.',
  'problem.changeTooLarge':
    'Cette modification est trop volumineuse pour être envoyée. Réduisez-la.',
  'problem.changeRefused': 'Le relais a refusé cette modification.',
  'problem.fieldTooLong': 'Ce texte est trop long. Raccourcissez-le.',
  'problem.tooManyVariants': 'Trop de variantes de texte.',
  'problem.notAllowed': 'Votre rôle ne le permet pas.',
  'problem.notFound': 'Cet élément n’existe plus (supprimé entre-temps ?).',
  'problem.conflict': 'Cet élément a changé entre-temps. Regardez à nouveau et réessayez.',
  'problem.invalidInput': 'Une saisie n’est pas valable. Vérifiez-la et réessayez.',
  'problem.rateLimited': 'Trop de demandes. Patientez un instant et réessayez.',
  'problem.storageFull': 'Le disque est plein : libérez de la place et réessayez.',
  'problem.storageFailed': 'Porte-voix n’a pas pu enregistrer sur cet ordinateur. Réessayez.',
  'problem.feedUnreachable': 'Le flux est injoignable.',
  'problem.feedInvalid': 'Ce n’est pas un flux que Porte-voix sait lire.',
  'problem.feedAddressRefused': 'L’adresse de ce flux est dans un réseau privé : refusée.',
  'problem.feedTooLarge': 'Ce flux est trop volumineux.',
  'problem.internal':
    'Une erreur est survenue dans Porte-voix. Réessayez ; si cela persiste, redémarrez l’application.',
  'propose.title': 'Proposer un contenu',
  'propose.help':
    'Vous avez trouvé quelque chose à partager ? Vos champions le relisent avant de l’ajouter.',
  'propose.url': 'Lien',
  'propose.urlPlaceholder': 'https://…',
  'propose.titleField': 'Titre',
  'propose.note': 'Note pour les champions',
  'propose.notePlaceholder': 'Pourquoi c’est important, qui est impliqué…',
  'propose.caption': 'Texte suggéré',
  'propose.submit': 'Envoyer la proposition',
  'propose.sending': 'Envoi…',
  'propose.sent': 'Proposition envoyée. Merci !',
  'propose.queued':
    'Vous êtes hors ligne : votre proposition est enregistrée et sera envoyée aux champions à votre retour en ligne.',
  'propose.invalid': 'Vérifiez le lien (il doit commencer par https://) et le titre.',
  'propose.mine': 'Mes propositions',
  'propose.none': 'Vous n’avez encore rien proposé.',
  'proposal.sending': 'En attente d’envoi',
  'proposal.pending': 'En cours de relecture',
  'proposal.approved': 'Acceptée',
  'proposal.rejected': 'Refusée',
  'proposal.reason': 'Motif : {reason}',
  'proposal.refusedByRelay': 'Le relais n’a pas accepté cette proposition.',
  'stats.title': 'Mes stats',
  'nudges.open': 'Ouvrir',
  'nudges.later': 'Plus tard',
  'nudges.dismiss': 'Pas celui-ci',
  'nudges.audience': 'Quand votre audience est là',
  'nudges.next': 'Prochain rappel : {when}, « {title} ». {why}',
  'nudges.none': 'Aucun rappel prévu : rien de nouveau à partager pour l’instant.',
  'nudges.paused': 'Les rappels sont en pause.',
  'nudges.settings': 'Rappels',
  'nudges.pause': 'Mettre les rappels en pause',
  'nudges.snooze': 'Repousser :',
  'nudges.snooze.hour': '1 heure',
  'nudges.snooze.evening': 'jusqu’à ce soir',
  'nudges.snooze.tomorrow': 'jusqu’à demain',
  'nudges.snoozedUntil': 'pas de rappel avant {when}',
  'nudges.workingDays': 'Jours :',
  'nudges.cap': '{network} par jour',
  'nudges.gap': 'Au moins',
  'nudges.gapHours': '{n} h entre deux rappels',
  'stats.local': 'Comptées sur cet ordinateur ; elles restent chez vous.',
  'stats.today': 'Aujourd’hui',
  'stats.week': 'Cette semaine',
  'stats.month': 'Ce mois-ci',
  'stats.streak': 'Série',
  'stats.streakDays': '{n} j',
  'stats.longest.one': 'Plus longue série : {n} jour',
  'stats.longest.other': 'Plus longue série : {n} jours',
  'stats.total.one': '{n} partage au total',
  'stats.total.other': '{n} partages au total',
  'stats.last30': '30 derniers jours',
  'stats.chartLabel': 'Partages par jour sur les 30 derniers jours',
  'stats.dayCount': '{date} : {n}',
  'stats.byNetwork': 'Par réseau',
  'stats.byObjective': 'Par objectif',
  'stats.none': 'Aucun partage pour l’instant.',
  'settings.title': 'Réglages',
  'settings.networks': 'Mes réseaux',
  'settings.mastodon': 'Serveur Mastodon',
  'settings.mastodonHelp': 'Le nom du serveur seulement, ex. mastodon.social',
  'settings.timeZone': 'Fuseau horaire',
  'settings.timeZoneSystem': 'Système ({zone})',
  'settings.quietHours': 'Heures calmes (pas de rappels)',
  'settings.quietFrom': 'De',
  'settings.quietTo': 'à',
  'settings.language': 'Langue',
  'settings.theme': 'Thème',
  'settings.system': 'Comme le système',
  'settings.light': 'Clair',
  'settings.dark': 'Sombre',
  'settings.english': 'English',
  'settings.french': 'Français',
  'settings.save': 'Enregistrer',
  'settings.saving': 'Enregistrement…',
  'settings.saved': 'Enregistré.',
  'settings.needNetwork': 'Choisissez au moins un réseau.',
  'settings.invalid': 'Un réglage n’est pas valable. Vérifiez-le et enregistrez à nouveau.',
  'account.title': 'Compte',
  'account.who': 'Connecté en tant que {name} ({role})',
  'account.workspace': 'Espace : {workspace}',
  'account.relay': 'Relais : {relay}',
  'account.role.employee': 'collaborateur',
  'account.role.champion': 'champion',
  'account.role.admin': 'admin',
  'account.export': 'Exporter mes données',
  'account.exportHelp':
    'Un fichier JSON de ce que cet ordinateur conserve sur vous : réglages, partages, statistiques et propositions.',
  'account.exported': 'Enregistré sous {file}.',
  'account.leave': 'Quitter l’espace',
  'account.leaveHelp':
    'Supprime de cet ordinateur le contenu de l’espace (file, données du studio). Conservés ici : vos réglages, votre historique de partages et vos statistiques. Vos partages et propositions déjà envoyés restent dans l’espace.',
  'account.leaveConfirm': 'Quitter {workspace} ?',
  'account.leaveDelete': 'Quitter et supprimer mes données',
  'account.leaveDeleteHelp':
    'Supprime aussi de cet ordinateur vos réglages, votre historique de partages, vos statistiques, vos propositions et ce qui attend d’être envoyé.',
  'account.relayKept':
    'Le relais conserve ce qu’il a déjà reçu (vos partages et propositions, sans statistiques) ; demandez à votre admin de le supprimer (relay:admin delete-member).',
  'account.relayDeleted':
    'Le relais a supprimé ce qu’il conservait sur vous, hors totaux anonymes.',
  'account.confirm': 'Oui, quitter',
  'account.cancel': 'Annuler',
  'account.leaving': 'Départ…',
  'account.left':
    'Vous avez quitté l’espace. Son contenu a été supprimé de cet ordinateur ; vos réglages, votre historique de partages et vos statistiques sont conservés.',
  'account.deletedLocal':
    'Vous avez quitté l’espace et vos données ont été supprimées de cet ordinateur. Le relais conserve ce qu’il a déjà reçu (vos partages et propositions) ; demandez à votre admin de le supprimer.',
  'account.deletedAll':
    'Vous avez quitté l’espace et vos données ont été supprimées de cet ordinateur et du relais (hors totaux anonymes).',
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

export type Vars = Record<string, string | number>

/** Fill `{name}` slots; a slot with no value stays as written (so `{{…}}` in texts survives). */
export function format(template: string, vars?: Vars): string {
  if (!vars) return template
  return template.replace(/\{(\w+)\}/g, (slot, name: string) =>
    name in vars ? String(vars[name]) : slot,
  )
}

export function translate(language: Language, key: MessageKey, vars?: Vars): string {
  return format(dictionaries[language][key], vars)
}

/** Keys that come in `.one` / `.other` forms. */
export type PluralKey = MessageKey extends infer K
  ? K extends `${infer Base}.one`
    ? Base
    : never
  : never

const pluralRules: Record<Language, Intl.PluralRules> = {
  en: new Intl.PluralRules('en'),
  fr: new Intl.PluralRules('fr'),
}

/** The form for `n` by the language's own rules (French says "0 jour", English "0 days"). */
export function translatePlural(
  language: Language,
  key: PluralKey,
  n: number,
  vars?: Vars,
): string {
  const form = pluralRules[language].select(n) === 'one' ? 'one' : 'other'
  return translate(language, `${key}.${form}` as MessageKey, { n, ...vars })
}
