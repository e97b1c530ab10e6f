import type { StoredSession } from './store/session'
import type { WorkspaceSync } from './sync/workspace-sync'

/**
 * The joined workspace: who this device is in it and the synced replicas. Services (shares,
 * feeds, nudges) take it from here rather than from the API layer that serves windows.
 */
export type Joined = { session: StoredSession; sync: WorkspaceSync }

/** Origin of the edits the core makes on behalf of a request (as opposed to window replicas). */
export const API_ORIGIN = Symbol('core-api')

/** What a background service needs of the core: the workspace, if joined, and the time. */
export interface WorkspaceAccess {
  /** The joined workspace, or a `not_joined` ContractError. */
  joined(): Joined
  /** The core clock's wall time, ISO. */
  now(): string
}
