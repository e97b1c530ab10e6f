import type { CoreStatus, Session } from '../../../common/contract/api'
import type { DocName } from '../../../common/doc/rooms'
import type { NudgeService } from '../nudges/service'
import type { MyResultsService } from '../results'
import type { Shares } from '../shares/shares'
import type { StoredSession } from '../store/session'
import type { Store } from '../store/store'
import type { StudioFeeds } from '../studio/feeds'
import type { Joined } from '../workspace'

// Kept here for the handlers; services import them from ../workspace.
export { API_ORIGIN, type Joined } from '../workspace'

/** What request handlers may use of the core; implemented by Core. */
export interface CoreContext {
  readonly store: Store
  /** The employee's side: sharing, my queue, my stats, my proposals. */
  readonly shares: Shares
  /** Feed curation on a champion's core. */
  readonly feeds: StudioFeeds
  /** When to nudge, and what came of the nudges. */
  readonly nudges: NudgeService
  /** My clicks and conversions, fetched from the relay into SQLite. */
  readonly results: MyResultsService
  status(): CoreStatus
  /** The joined workspace, or a `not_joined` ContractError (loads deferred replicas). */
  joined(): Joined
  /** The joined workspace's session alone (what SQLite answers need), or `not_joined`. */
  session(): { session: StoredSession }
  /** A request was answered (sent): the start's deferred work may follow (core.ts). */
  answered?(method: string): void
  /** A window syncs a replica: deferred replicas load now (core.ts). */
  replicasNeeded?(): void
  join(invitation: string): Promise<Session>
  leave(): Promise<void>
  /** Resync from the relay the documents whose change it refused; returns them. */
  discardRefused(): DocName[]
  now(): string
  /** Resume from sleep, a new time zone, a wall-clock jump (reported by the shell). */
  environmentChanged(what: 'resume' | 'time-zone' | 'clock', timeZone?: string): void
}
