import type * as Y from 'yjs'
import type { Session } from '../../common/contract/api'
import { ContractError } from '../../common/contract/messages'
import type { Problem } from '../../common/contract/problems'
import { DOC_NAMES, type DocName, roomName } from '../../common/doc/rooms'
import type { Clock, Disposable } from './lifecycle'
import type { StoredSession } from './store/session'
import type { Store } from './store/store'
import { sessionFromInvitation } from './sync/invitation'
import { WorkspaceSync } from './sync/workspace-sync'
import type { Joined } from './workspace'

export type WorkspaceSessionOptions = {
  store: Store
  clock: Clock
  /** Upper bound of the reconnect backoff (y-websocket's exponential backoff). */
  maxBackoffMs?: number
  /** How long to wait before retrying after the relay refused the token. */
  refusedRetryMs?: number
  /** How long join waits for the relay before accepting the invitation offline. */
  joinWaitMs?: number
  /** A sync started (at open, join, or when a refused join puts the previous one back). */
  onSyncStarted: (sync: WorkspaceSync) => void
  /** The sync stopped (leave, a new join); windows' replicas must let go of it. */
  onSyncStopped: () => void
  onUpdate: (doc: DocName, update: Uint8Array, origin: unknown, tr: Y.Transaction) => void
  /** The sync's status or the session changed: the core's status may have too. */
  onStatus: (synced: boolean) => void
  /** A join went through: another member or workspace may mean other shares and outbox. */
  onJoined: () => void
  onLeft: () => void
  log: (line: string) => void
}

/**
 * The session state machine: not joined → joining → joined (syncing), and back by leave. A join
 * that the relay refuses puts back what was there before; the stored session changes only once a
 * join stands. Disposing stops the sync; the session stays stored.
 */
export class WorkspaceSession implements Disposable {
  private current: StoredSession | null = null
  private syncing: WorkspaceSync | null = null
  private joining = false
  /** Why the last join was refused, as a code (kept in the status until the next join). */
  private refusal: Problem | null = null
  /** resume() left the replicas to load later (startDeferred, or the first joined()). */
  private deferred = false

  constructor(private readonly options: WorkspaceSessionOptions) {}

  get session(): StoredSession | null {
    return this.current
  }

  get sync(): WorkspaceSync | null {
    return this.syncing
  }

  get lastRefusal(): Problem | null {
    return this.refusal
  }

  /**
   * A renewed device token (sync/token-renewal.ts): stored, and used from the next connection
   * on. A new role changes which documents the device holds: the sync starts again.
   */
  renewed(next: StoredSession): void {
    const current = this.current
    if (!current || this.joining) return
    if (current.claims.sub !== next.claims.sub || current.claims.ws !== next.claims.ws) return
    this.options.store.session.set(next)
    this.current = next
    if (current.claims.role !== next.claims.role || !this.syncing) {
      this.stopSync()
      this.startSync(next)
    } else {
      this.syncing.setToken(next.token)
    }
    this.options.onStatus(false)
  }

  /**
   * Start from the stored session, if a workspace was joined before. `deferred`: the session is
   * known at once but the replicas load (and sync starts) only at startDeferred() or the first
   * joined(): what SQLite answers alone (the queue's first screen) goes out before that load.
   */
  resume(options: { deferred?: boolean } = {}): void {
    const stored = this.options.store.session.get()
    if (!stored) return
    this.current = stored
    if (options.deferred) this.deferred = true
    else this.startSync(stored)
  }

  /** Whether resume() deferred the replicas and they are not loaded yet. */
  get pendingStart(): boolean {
    return this.deferred
  }

  /** Load the replicas and start the sync that resume({ deferred }) put off; else nothing. */
  startDeferred(): void {
    if (!this.deferred) return
    this.deferred = false
    if (this.current && !this.syncing) this.startSync(this.current)
  }

  joined(): Joined {
    this.startDeferred()
    if (!this.current || !this.syncing) {
      throw new ContractError('not_joined', 'Join a workspace first (paste your invitation link)')
    }
    return { session: this.current, sync: this.syncing }
  }

  async join(
    invitation: string,
    toSession: (s: StoredSession) => Session,
  ): Promise<Session & { problem: Problem | null }> {
    if (this.joining) throw new ContractError('conflict', 'A join is already in progress')
    const next = sessionFromInvitation(invitation)
    const current = this.current
    if (
      current &&
      (current.claims.ws !== next.claims.ws || current.claims.sub !== next.claims.sub)
    ) {
      throw new ContractError(
        'conflict',
        `This device already joined workspace "${current.claims.ws}" as ${current.claims.name}; leave it first`,
      )
    }
    this.joining = true
    this.refusal = null
    try {
      this.stopSync()
      this.current = next
      const sync = this.startSync(next)
      const outcome = await sync.waitForSync(this.options.joinWaitMs ?? 5_000)
      if (sync.isRefused()) {
        this.refusal = outcome.problem
        // Keep what we had: a bad invitation must not lose a working session.
        this.stopSync()
        this.current = current
        if (current) this.startSync(current)
        else this.options.store.queue.clear()
        this.options.onStatus(false)
        throw new ContractError(
          'forbidden',
          outcome.lastError ?? 'The relay refused the invitation',
        )
      }
      // Synced, or the relay is unreachable for now: the invitation stands, sync continues.
      this.options.store.session.set(next)
      this.options.onStatus(false)
      this.options.onJoined()
      // Joined while the relay is unreachable: said plainly, with the code the window shows.
      return { ...toSession(next), problem: outcome.sync === 'synced' ? null : outcome.problem }
    } finally {
      this.joining = false
    }
  }

  async leave(): Promise<void> {
    if (this.joining) throw new ContractError('conflict', 'A join is in progress; try again')
    const session = this.current
    if (!session) throw new ContractError('not_joined', 'No workspace to leave')
    this.stopSync()
    const { store } = this.options
    this.deferred = false
    // Leaving removes the workspace's data from this device.
    for (const doc of DOC_NAMES) store.docLog.remove(roomName(session.claims.ws, doc))
    store.queue.clear()
    store.session.clear()
    this.current = null
    this.options.onStatus(false)
    this.options.onLeft()
  }

  setNetwork(enabled: boolean): void {
    this.syncing?.setNetwork(enabled)
  }

  /**
   * A change the relay refused (too large, unintegrable, breaking an item) would be resent on
   * every reconnect: drop this device's log of each such document and sync again, so the
   * replica becomes the relay's copy. Unsent changes to those documents go with it (said in the
   * window). Returns the documents discarded; none when the relay refused nothing.
   */
  discardRefused(): DocName[] {
    const session = this.current
    const docs = this.syncing?.changeRefusedDocs() ?? []
    if (!session || docs.length === 0 || this.joining) return []
    this.stopSync()
    for (const doc of docs) this.options.store.docLog.remove(roomName(session.claims.ws, doc))
    this.options.log?.(`sync: discarded the refused local state of ${docs.join(', ')}`)
    this.startSync(session)
    this.options.onStatus(false)
    return docs
  }

  dispose(): void {
    this.deferred = false
    this.stopSync()
  }

  private startSync(session: StoredSession): WorkspaceSync {
    const { options } = this
    this.deferred = false
    const sync = new WorkspaceSync({
      session,
      docLog: options.store.docLog,
      clock: options.clock,
      ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
      ...(options.refusedRetryMs !== undefined ? { refusedRetryMs: options.refusedRetryMs } : {}),
      onUpdate: options.onUpdate,
      onStatus: (status) => options.onStatus(status.sync === 'synced'),
      log: options.log,
    })
    this.syncing = sync
    options.onSyncStarted(sync)
    return sync
  }

  private stopSync(): void {
    const sync = this.syncing
    if (!sync) return
    this.syncing = null
    this.options.onSyncStopped()
    sync.destroy()
  }
}
