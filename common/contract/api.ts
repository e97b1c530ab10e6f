import { z } from 'zod'
import { DOC_NAMES } from '../doc/rooms'
import { Board } from '../model/board'
import { Campaign, NewCampaign } from '../model/campaign'
import { Id } from '../model/ids'
import {
  Captions,
  HttpUrl,
  Item,
  ItemPatch,
  ItemStatus,
  NewItem,
  Objective,
  Timestamp,
} from '../model/item'
import { lazySchema } from '../model/lazy'
import { Member, Role } from '../model/member'
import { Network } from '../model/networks'
import {
  Challenge,
  ChallengePatch,
  MyRecognition,
  NewChallenge,
  WorkspaceSettings,
} from '../model/recognition'
import { AudienceSizes, MyResultsStats } from '../model/results'
import { NewProposal, PersonalStats, ProposalView, ShareEvent, ShareId } from '../model/share'
import { NudgeSettings, SnoozeKind } from '../nudges/settings'
import { NudgeWhy } from '../nudges/why'
import { Problem } from './problems'

/**
 * The one contract between windows and the core. Every method names its params and result
 * schemas; both ends validate with them, whichever transport carries the messages
 * (Electron MessagePort in the app, a WebSocket in the dev/test host).
 */

export const SyncState = lazySchema(() => z.enum(['offline', 'connecting', 'synced']))
export type SyncState = z.infer<typeof SyncState>

export const Session = lazySchema(() =>
  z.object({
    workspaceId: Id,
    workspaceName: z.string().nullable(),
    memberId: Id,
    displayName: z.string(),
    role: Role,
    relayUrl: z.string(),
  }),
)
export type Session = z.infer<typeof Session>

export const CoreStatus = lazySchema(() =>
  z.object({
    session: Session.nullable(),
    sync: SyncState,
    /** Why the last connection attempt failed, in words a person can act on. */
    lastError: z.string().nullable(),
    /** The same, as a code the windows translate (expired, revoked, wrong relay, unreachable…). */
    problem: Problem.nullable(),
  }),
)
export type CoreStatus = z.infer<typeof CoreStatus>

export const QueueFilter = lazySchema(() =>
  z.object({
    objective: Objective.optional(),
    topic: z.string().optional(),
    status: z.array(ItemStatus).optional(),
    campaignId: Id.optional(),
    search: z.string().max(200).optional(),
    limit: z.number().int().positive().max(10_000).optional(),
  }),
)
export type QueueFilter = z.infer<typeof QueueFilter>

export const Settings = lazySchema(() =>
  z.object({
    networks: z.array(Network),
    nudgesPaused: z.boolean(),
    mastodonInstance: z.string().nullable(),
    timeZone: z.string().nullable(),
    quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
    language: z.enum(['system', 'en', 'fr']),
    theme: z.enum(['system', 'light', 'dark']),
    /** Working days, caps per network, minimum gap; absent from an older core: the defaults. */
    nudges: NudgeSettings.optional(),
    /** My audience size per network (kept on this device; reach and click-through use it). */
    audience: AudienceSizes.optional(),
    /** On the team leaderboard (off by default; turning it off removes my name from it). */
    leaderboardOptIn: z.boolean().optional(),
  }),
)
export type Settings = z.infer<typeof Settings>

/** A nudge: this item, on this network, now, and why now. */
export const Nudge = lazySchema(() =>
  z.object({
    id: Id,
    itemId: Id,
    title: z.string(),
    network: Network,
    at: Timestamp,
    why: NudgeWhy,
    /** `why` in the settings' language, for the notification. */
    whyText: z.string(),
  }),
)
export type Nudge = z.infer<typeof Nudge>

/** The learned curve of one network for the heatmap: 7 days × 24 hours, 0–1, local time. */
export const AudienceView = lazySchema(() =>
  z.object({
    network: Network,
    hours: z.array(z.array(z.number().min(0).max(1)).length(24)).length(7),
    why: NudgeWhy,
    whyText: z.string(),
  }),
)
export type AudienceView = z.infer<typeof AudienceView>

export const NudgePreview = lazySchema(() =>
  z.object({
    paused: z.boolean(),
    snoozedUntil: Timestamp.nullable(),
    /** The next nudge as planned now (null: nothing new to share, or paused). */
    next: Nudge.omit({ id: true }).nullable(),
    audiences: z.array(AudienceView),
  }),
)
export type NudgePreview = z.infer<typeof NudgePreview>

/** A zone Intl knows ("Europe/Paris", "UTC"); offsets and abbreviations are not zones. */
function isIanaZone(zone: string): boolean {
  if (!/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** An item as this employee's popover shows it: ranked, with my caption variant and my shares. */
export const QueueEntry = lazySchema(() =>
  z.object({
    item: Item,
    campaign: Campaign.nullable(),
    /** Per network: the caption or the variant picked for me, so colleagues rarely match. */
    suggested: Captions,
    sharedOn: z.array(Network),
  }),
)
export type QueueEntry = z.infer<typeof QueueEntry>

export const ShareOutcome = lazySchema(() =>
  z.object({
    shareId: ShareId,
    trackedUrl: HttpUrl,
    /** The network's share page (or a mailto: draft) handed to the opener. */
    targetUrl: z.string(),
    /** What goes to the clipboard: the caption as edited. */
    clipboardText: z.string(),
    /** LinkedIn and Facebook take no text: the person pastes the caption. */
    pasteNeeded: z.boolean(),
    sharedAt: Timestamp,
  }),
)
export type ShareOutcome = z.infer<typeof ShareOutcome>

export const FeedSourceView = lazySchema(() =>
  z.object({
    id: Id,
    url: HttpUrl,
    addedBy: Id,
    addedAt: Timestamp,
    lastPolledAt: Timestamp.nullable(),
    /** 'ok' or the error code of the last poll on this device. */
    lastStatus: z.string().nullable(),
    lastMessage: z.string().nullable(),
  }),
)
export type FeedSourceView = z.infer<typeof FeedSourceView>

/** "Export my data": what this device holds about the person, as one JSON document. */
export const AccountExport = lazySchema(() =>
  z.object({
    format: z.literal('porte-voix.account-export/1'),
    exportedAt: Timestamp,
    /** Who and where (the token itself is left out: it is a credential, not data about me). */
    session: Session.nullable(),
    settings: Settings,
    stats: PersonalStats,
    shares: z.array(ShareEvent),
    proposals: z.array(ProposalView),
    /** Shares and proposals still waiting to reach the relay. */
    pendingOutbox: z.number().int().nonnegative(),
  }),
)
export type AccountExport = z.infer<typeof AccountExport>

const empty = lazySchema(() => z.object({}).strict())

/**
 * A table of schemas built entry by entry on first use (then kept): a window or the core builds
 * the schemas of the methods it calls or serves, not the whole contract's at load (zod's
 * constructors were a good part of the popover's and the core's start). Every frame is still
 * validated with the same schemas; the keys are own enumerable properties, as in a plain table.
 */
function builtOnFirstUse<T extends Record<string, () => object>>(
  builders: T,
): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const table = {} as { [K in keyof T]: ReturnType<T[K]> }
  for (const key of Object.keys(builders) as (keyof T & string)[]) {
    Object.defineProperty(table, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = (builders[key] as () => ReturnType<T[typeof key]>)()
        Object.defineProperty(table, key, { value, enumerable: true, writable: false })
        return value
      },
    })
  }
  return table
}

export const methods = builtOnFirstUse({
  'status.get': () => ({ params: empty, result: CoreStatus }),
  'workspace.join': () => ({
    params: z.object({ invitation: z.string().min(1).max(8_192) }),
    /** `problem`: joined, but the relay could not be reached yet (relayUnreachable). */
    result: Session.extend({ problem: Problem.nullable().optional() }),
  }),
  'workspace.leave': () => ({ params: empty, result: z.null() }),
  /** Drop the changes the relay refused (and this device's unsent state of those documents). */
  'doc.discardRefused': () => ({
    params: empty,
    result: z.object({ discarded: z.array(z.enum(DOC_NAMES)) }),
  }),
  'account.export': () => ({ params: empty, result: AccountExport }),
  /** Leave the workspace and delete everything this device holds about me. */
  'account.leaveAndDelete': () => ({
    /** localOnly: the person chose to delete on this device only (the relay was unreachable). */
    params: z.object({ localOnly: z.boolean().optional() }).strict(),
    /** Whether the relay deleted what it holds about me too (false: local only, said so). */
    result: z.object({ relayDeleted: z.boolean() }),
  }),
  'queue.list': () => ({ params: QueueFilter, result: z.array(Item) }),
  'item.get': () => ({ params: z.object({ id: Id }), result: Item }),
  'item.create': () => ({ params: NewItem, result: Item }),
  'item.update': () => ({ params: z.object({ id: Id, patch: ItemPatch }), result: Item }),
  'item.setCaption': () => ({
    params: z.object({ id: Id, network: Network, text: z.string().max(10_000) }),
    result: Item,
  }),
  'item.setWhy': () => ({
    params: z.object({ id: Id, text: z.string().max(5_000) }),
    result: Item,
  }),
  'campaign.list': () => ({ params: empty, result: z.array(Campaign) }),
  'campaign.create': () => ({ params: NewCampaign, result: Campaign }),
  'settings.get': () => ({ params: empty, result: Settings }),
  'settings.update': () => ({ params: Settings.partial(), result: Settings }),

  // The employee's popover.
  'queue.forMe': () => ({
    params: z.object({
      objective: Objective.optional(),
      topic: z.string().max(60).optional(),
      /** Only the first entries of the ranking: the popover's first screen, painted first. */
      limit: z.number().int().positive().max(10_000).optional(),
    }),
    result: z.array(QueueEntry),
  }),
  'share.perform': () => ({
    params: z.object({ itemId: Id, network: Network, text: z.string().max(10_000) }),
    result: ShareOutcome,
  }),
  'stats.mine': () => ({ params: empty, result: PersonalStats }),
  /** My clicks and conversions per share, item and network, per day, by hour (from SQLite). */
  'results.mine': () => ({ params: empty, result: MyResultsStats }),
  /** Ask the relay for my latest clicks now (My stats opened); resolves once SQLite has them. */
  'results.refresh': () => ({ params: empty, result: z.null() }),
  /** The team's results (the relay's `board` document, as this device last synced it). */
  'board.get': () => ({ params: empty, result: Board }),
  /** My points, and my rank and challenge standings if I opted in to the leaderboard. */
  'recognition.mine': () => ({ params: empty, result: MyRecognition }),
  /** Point weights and CPC/CPM set by champions (every member reads them). */
  'workspace.settings.get': () => ({ params: empty, result: WorkspaceSettings }),
  'challenge.list': () => ({ params: empty, result: z.array(Challenge) }),
  /**
   * An item's image, fetched and kept by the core, as a data: URL (null when it cannot be had):
   * windows load no third-party URL, so image hosts never see employees' addresses.
   */
  'image.get': () => ({
    params: z.object({ url: HttpUrl }),
    result: z.object({ dataUrl: z.string().nullable() }),
  }),
  'proposal.create': () => ({ params: NewProposal, result: ProposalView }),
  'proposal.listMine': () => ({ params: empty, result: z.array(ProposalView) }),
  /** The next nudge and why, and the audience heatmaps (My stats). */
  'nudge.preview': () => ({ params: empty, result: NudgePreview }),
  /** What came of a nudge (the model learns from it). */
  'nudge.opened': () => ({ params: z.object({ id: Id }), result: z.null() }),
  'nudge.shared': () => ({ params: z.object({ id: Id }), result: z.null() }),
  'nudge.dismiss': () => ({ params: z.object({ id: Id }), result: z.null() }),
  /** Later: no nudge for an hour, until this evening or until tomorrow; the item comes back. */
  'nudge.later': () => ({
    params: z.object({ id: Id.optional(), until: SnoozeKind }),
    result: z.object({ snoozedUntil: Timestamp }),
  }),
  /**
   * The shell saw the machine resume, the time zone or the wall clock change: replan. With the
   * OS's new zone (the core's process keeps the zone it started with), used for 'system' settings.
   */
  'system.changed': () => ({
    params: z.object({
      what: z.enum(['resume', 'time-zone', 'clock']),
      timeZone: z.string().max(100).refine(isIanaZone, 'not an IANA time zone').optional(),
    }),
    result: z.null(),
  }),

  // The champion studio.
  'item.approve': () => ({
    params: z.object({ id: Id, patch: ItemPatch.optional(), publish: z.boolean().default(true) }),
    result: Item,
  }),
  'item.reject': () => ({
    params: z.object({ id: Id, reason: z.string().trim().min(1, 'give a reason').max(1_000) }),
    result: Item,
  }),
  'campaign.update': () => ({
    params: z.object({ id: Id, patch: NewCampaign.partial() }),
    result: Campaign,
  }),
  'members.list': () => ({ params: empty, result: z.array(Member) }),
  'workspace.settings.update': () => ({
    params: WorkspaceSettings.partial(),
    result: WorkspaceSettings,
  }),
  'challenge.create': () => ({ params: NewChallenge, result: Challenge }),
  'challenge.update': () => ({
    params: z.object({ id: Id, patch: ChallengePatch }),
    result: Challenge,
  }),
  'challenge.remove': () => ({ params: z.object({ id: Id }), result: z.null() }),
  /**
   * A new conversion key for a campaign, minted by the relay: shown once (the relay keeps only
   * its hash), for the company's sign-up system (`POST /api/v1/conversions`).
   */
  'campaign.createConversionKey': () => ({
    params: z.object({ campaignId: Id }),
    result: z.object({ key: z.string().min(8).max(200), endpoint: z.string().url() }),
  }),
  'feed.list': () => ({ params: empty, result: z.array(FeedSourceView) }),
  'feed.add': () => ({ params: z.object({ url: HttpUrl }), result: FeedSourceView }),
  'feed.remove': () => ({ params: z.object({ id: Id }), result: z.null() }),
  'feed.poll': () => ({ params: empty, result: z.array(FeedSourceView) }),
})

export type Methods = typeof methods
export type MethodName = keyof Methods
export type Params<M extends MethodName> = z.input<Methods[M]['params']>
export type Result<M extends MethodName> = z.infer<Methods[M]['result']>

export const events = builtOnFirstUse({
  status: () => CoreStatus,
  /** Show this nudge now (main as a notification, the dev host's page as a banner). */
  'nudge.show': () => Nudge,
  /** The settings changed (from any window): every window follows theme and language at once. */
  'settings.changed': () => Settings,
  /**
   * A change this window made to a document was refused (too large to send, or breaking the
   * document): it is not in the core's replica, so the window discards it and says why.
   */
  'doc.refused': () => z.object({ doc: z.enum(DOC_NAMES), problem: Problem }),
  /** The board document changed (the relay rewrites it a few seconds after new results). */
  'board.changed': () => z.object({ updatedAt: Timestamp.nullable() }),
  /** The queue table changed (after a local edit or a remote update was stored). */
  'queue.changed': () => z.object({ count: z.number().int() }),
  /** My shares or proposals changed (a share recorded, an outbox entry delivered, a decision). */
  'mine.changed': () =>
    z.object({
      pendingOutbox: z.number().int(),
      /**
       * My shares themselves changed (queue.forMe's ranking and "shared" marks depend on them);
       * false when only the outbox or a proposal did. Absent from an older core: assume they did.
       */
      sharesChanged: z.boolean().default(true),
    }),
})
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.infer<Events[E]>
