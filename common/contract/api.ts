import { z } from 'zod'
import { Campaign, NewCampaign } from '../model/campaign'
import { Id } from '../model/ids'
import { Item, ItemPatch, ItemStatus, NewItem, Objective } from '../model/item'
import { Role } from '../model/member'
import { Network } from '../model/networks'

/**
 * The one contract between windows and the core. Every method names its params and result
 * schemas; both ends validate with them, whichever transport carries the messages
 * (Electron MessagePort in the app, a WebSocket in the dev/test host).
 */

export const SyncState = z.enum(['offline', 'connecting', 'synced'])
export type SyncState = z.infer<typeof SyncState>

export const Session = z.object({
  workspaceId: Id,
  workspaceName: z.string().nullable(),
  memberId: Id,
  displayName: z.string(),
  role: Role,
  relayUrl: z.string(),
})
export type Session = z.infer<typeof Session>

export const CoreStatus = z.object({
  session: Session.nullable(),
  sync: SyncState,
  /** Why the last connection attempt failed, in words a person can act on. */
  lastError: z.string().nullable(),
})
export type CoreStatus = z.infer<typeof CoreStatus>

export const QueueFilter = z.object({
  objective: Objective.optional(),
  topic: z.string().optional(),
  status: z.array(ItemStatus).optional(),
  campaignId: Id.optional(),
  search: z.string().max(200).optional(),
  limit: z.number().int().positive().max(10_000).optional(),
})
export type QueueFilter = z.infer<typeof QueueFilter>

export const Settings = z.object({
  networks: z.array(Network),
  mastodonInstance: z.string().nullable(),
  timeZone: z.string().nullable(),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  language: z.enum(['system', 'en', 'fr']),
  theme: z.enum(['system', 'light', 'dark']),
})
export type Settings = z.infer<typeof Settings>

const empty = z.object({}).strict()

export const methods = {
  'status.get': { params: empty, result: CoreStatus },
  'workspace.join': {
    params: z.object({ invitation: z.string().min(1).max(8_192) }),
    result: Session,
  },
  'workspace.leave': { params: empty, result: z.null() },
  'queue.list': { params: QueueFilter, result: z.array(Item) },
  'item.get': { params: z.object({ id: Id }), result: Item },
  'item.create': { params: NewItem, result: Item },
  'item.update': { params: z.object({ id: Id, patch: ItemPatch }), result: Item },
  'item.setCaption': {
    params: z.object({ id: Id, network: Network, text: z.string().max(10_000) }),
    result: Item,
  },
  'item.setWhy': { params: z.object({ id: Id, text: z.string().max(5_000) }), result: Item },
  'campaign.list': { params: empty, result: z.array(Campaign) },
  'campaign.create': { params: NewCampaign, result: Campaign },
  'settings.get': { params: empty, result: Settings },
  'settings.update': { params: Settings.partial(), result: Settings },
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type Params<M extends MethodName> = z.input<Methods[M]['params']>
export type Result<M extends MethodName> = z.infer<Methods[M]['result']>

export const events = {
  status: CoreStatus,
  /** The queue table changed (after a local edit or a remote update was stored). */
  'queue.changed': z.object({ count: z.number().int() }),
} as const
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.infer<Events[E]>
