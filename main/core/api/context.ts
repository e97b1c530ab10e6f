import type { CoreStatus, Session } from '../../../common/contract/api'
import type { Shares } from '../shares/shares'
import type { StoredSession } from '../store/session'
import type { Store } from '../store/store'
import type { StudioFeeds } from '../studio/feeds'
import type { WorkspaceSync } from '../sync/workspace-sync'

/** The joined workspace, as handlers see it. */
export type Joined = { session: StoredSession; sync: WorkspaceSync }

/** What request handlers may use of the core; implemented by Core. */
export interface CoreContext {
  readonly store: Store
  /** The employee's side: sharing, my queue, my stats, my proposals. */
  readonly shares: Shares
  /** Feed curation on a champion's core. */
  readonly feeds: StudioFeeds
  status(): CoreStatus
  /** The joined workspace, or a `not_joined` ContractError. */
  joined(): Joined
  join(invitation: string): Promise<Session>
  leave(): Promise<void>
  now(): string
}

/** Origin of the edits the core makes on behalf of a request (as opposed to window replicas). */
export const API_ORIGIN = Symbol('core-api')
