import type { CoreStatus, Session } from '../../../common/contract/api'
import type { StoredSession } from '../store/session'
import type { Store } from '../store/store'
import type { WorkspaceSync } from '../sync/workspace-sync'

/** The joined workspace, as handlers see it. */
export type Joined = { session: StoredSession; sync: WorkspaceSync }

/** What request handlers may use of the core; implemented by Core. */
export interface CoreContext {
  readonly store: Store
  status(): CoreStatus
  /** The joined workspace, or a `not_joined` ContractError. */
  joined(): Joined
  join(invitation: string): Promise<Session>
  leave(): Promise<void>
  now(): string
}

/** Origin of the edits the core makes on behalf of a request (as opposed to window replicas). */
export const API_ORIGIN = Symbol('core-api')
