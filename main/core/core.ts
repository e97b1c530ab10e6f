import type * as Y from 'yjs'
import type { CoreStatus, EventName, EventPayload, Session } from '../../common/contract/api'
import type { Transport } from '../../common/contract/client'
import { ContractError } from '../../common/contract/messages'
import { readWorkspaceName } from '../../common/doc/directory-doc'
import { DOC_NAMES, type DocName, roomName } from '../../common/doc/rooms'
import { Connection } from './api/connection'
import type { CoreContext, Joined } from './api/context'
import { checkedOpener, type Opener, unavailableOpener } from './shares/opener'
import { OutboxSender } from './shares/outbox-sender'
import { ShareStore } from './shares/share-store'
import { Shares } from './shares/shares'
import { changedItemIds, projectItems, rebuildQueueTable } from './store/queue-projection'
import type { StoredSession } from './store/session'
import { openStore, type Store } from './store/store'
import { feedOptionsFromEnv, StudioFeeds } from './studio/feeds'
import { sessionFromInvitation } from './sync/invitation'
import { WorkspaceSync } from './sync/workspace-sync'

export type CoreOptions = {
  dataDir: string
  /** Upper bound of the reconnect backoff (y-websocket's exponential backoff). */
  maxBackoffMs?: number
  /** How long to wait before retrying after the relay refused the token. */
  refusedRetryMs?: number
  /** How long workspace.join waits for the relay before accepting the invitation offline. */
  joinWaitMs?: number
  /** Compact a document's update log every this many updates. */
  compactEvery?: number
  /** Opens share pages in the person's browser (the core itself cannot). */
  opener?: Opener
  /** Outbox retry backoff: first delay and cap (tests shorten them). */
  outboxMinBackoffMs?: number
  outboxMaxBackoffMs?: number
  log?: (line: string) => void
}

/**
 * The core: local store + workspace sync + the contract, with no transport of its own. Each
 * window (or test client) is attached as a Transport; the host and the Electron utility process
 * only carry frames.
 */
export class Core implements CoreContext {
  private sync: WorkspaceSync | null = null
  private session: StoredSession | null = null
  private readonly connections = new Set<Connection>()
  private lastStatus = ''
  private queueChangedPending = false
  private joining = false
  private closed = false
  private readonly log: (line: string) => void
  private readonly outbox: OutboxSender
  readonly shares: Shares
  readonly feeds: StudioFeeds
  private mineChangedPending = false
  /** Whether the coalesced mine.changed includes a change of my shares (not only the outbox). */
  private mineSharesChanged = false

  private constructor(
    readonly store: Store,
    private readonly options: CoreOptions,
  ) {
    this.log = options.log ?? (() => {})
    const table = new ShareStore(store.db)
    table.pruneDelivered(new Date())
    this.outbox = new OutboxSender({
      store: table,
      target: () =>
        this.session
          ? {
              owner: { workspaceId: this.session.claims.ws, memberId: this.session.claims.sub },
              relayUrl: this.session.relayUrl,
              token: this.session.token,
            }
          : null,
      // Deliveries and failures change the outbox, never my shares.
      onChange: () => this.scheduleMineChanged({ shares: false }),
      log: this.log,
      ...(options.outboxMinBackoffMs !== undefined
        ? { minBackoffMs: options.outboxMinBackoffMs }
        : {}),
      ...(options.outboxMaxBackoffMs !== undefined
        ? { maxBackoffMs: options.outboxMaxBackoffMs }
        : {}),
    })
    this.shares = new Shares({
      table,
      queue: store.queue,
      // Whatever the host supplies, only http(s) and mailto: get through.
      opener: checkedOpener(options.opener ?? unavailableOpener),
      sender: this.outbox,
      changed: (what) => this.scheduleMineChanged(what),
      log: this.log,
    })
    this.feeds = new StudioFeeds(this, store.db, { ...feedOptionsFromEnv(), log: this.log })
  }

  /** Open the data directory and, if a workspace was joined, start from SQLite and sync. */
  static async open(options: CoreOptions): Promise<Core> {
    const store = openStore(options.dataDir, { compactEvery: options.compactEvery ?? 500 })
    const core = new Core(store, options)
    const session = store.session.get()
    if (session) {
      core.session = session
      core.startSync(session)
    }
    core.lastStatus = JSON.stringify(core.status())
    // Whatever a previous run left in the outbox goes out as soon as the relay answers.
    core.outbox.kick()
    // Feed sources are polled now and then while a champion's core runs (no-op for employees).
    core.feeds.start()
    return core
  }

  /** Serve the contract over a transport (one per window); it detaches when the transport closes. */
  attach(transport: Transport): Connection {
    const connection = new Connection(transport, this, this.log, (closed) =>
      this.connections.delete(closed),
    )
    connection.replicas.use(this.sync)
    this.connections.add(connection)
    return connection
  }

  status(): CoreStatus {
    const session = this.session
    return {
      session: session ? this.toSession(session) : null,
      sync: this.sync?.status.sync ?? 'offline',
      lastError: this.sync?.status.lastError ?? null,
    }
  }

  joined(): Joined {
    if (!this.session || !this.sync) {
      throw new ContractError('not_joined', 'Join a workspace first (paste your invitation link)')
    }
    return { session: this.session, sync: this.sync }
  }

  now(): string {
    return new Date().toISOString()
  }

  async join(invitation: string): Promise<Session> {
    if (this.joining) throw new ContractError('conflict', 'A join is already in progress')
    const next = sessionFromInvitation(invitation)
    const current = this.session
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
    try {
      this.stopSync()
      this.session = next
      const sync = this.startSync(next)
      const outcome = await sync.waitForSync(this.options.joinWaitMs ?? 5_000)
      if (sync.isRefused()) {
        // Keep what we had: a bad invitation must not lose a working session.
        this.stopSync()
        this.session = current
        if (current) this.startSync(current)
        else this.store.queue.clear()
        this.emitStatusIfChanged()
        throw new ContractError(
          'forbidden',
          outcome.lastError ?? 'The relay refused the invitation',
        )
      }
      // Synced, or the relay is unreachable for now: the invitation stands, sync continues.
      this.store.session.set(next)
      this.emitStatusIfChanged()
      this.outbox.kick()
      // Another workspace (or member) means other shares too.
      this.scheduleMineChanged({ shares: true })
      return this.toSession(next)
    } finally {
      this.joining = false
    }
  }

  async leave(): Promise<void> {
    if (this.joining) throw new ContractError('conflict', 'A join is in progress; try again')
    const session = this.session
    if (!session) throw new ContractError('not_joined', 'No workspace to leave')
    this.stopSync()
    // Leaving removes the workspace's data from this device.
    for (const doc of DOC_NAMES) this.store.docLog.remove(roomName(session.claims.ws, doc))
    this.store.queue.clear()
    this.store.session.clear()
    this.session = null
    this.emitStatusIfChanged()
    this.emit('queue.changed', { count: 0 })
  }

  /** Work offline on purpose (tests, and later a "pause sync" switch); edits are kept locally. */
  setNetwork(enabled: boolean): void {
    this.sync?.setNetwork(enabled)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.feeds.stop()
    await this.outbox.stop()
    this.stopSync()
    this.store.close()
  }

  private startSync(session: StoredSession): WorkspaceSync {
    const sync = new WorkspaceSync({
      session,
      docLog: this.store.docLog,
      ...(this.options.maxBackoffMs !== undefined
        ? { maxBackoffMs: this.options.maxBackoffMs }
        : {}),
      ...(this.options.refusedRetryMs !== undefined
        ? { refusedRetryMs: this.options.refusedRetryMs }
        : {}),
      onUpdate: (doc, update, origin, transaction) =>
        this.onUpdate(doc, update, origin, transaction),
      onStatus: (status) => {
        // Connected again: what waits in the outbox need not wait for its backoff.
        if (status.sync === 'synced') this.outbox.relayReachable()
        this.emitStatusIfChanged()
      },
      log: this.log,
    })
    this.sync = sync
    // The table is derived: rebuilding it at start also repairs a crash between the log append
    // and the table update (two transactions).
    const { changed, invalid } = rebuildQueueTable(sync.docs.queue, this.store.queue)
    for (const entry of invalid)
      this.log(`queue: skipped invalid item ${entry.id}: ${entry.issues.join('; ')}`)
    if (changed > 0) this.scheduleQueueChanged()
    for (const connection of this.connections) connection.replicas.use(sync)
    return sync
  }

  private stopSync(): void {
    const sync = this.sync
    if (!sync) return
    this.sync = null
    for (const connection of this.connections) connection.replicas.use(null)
    sync.destroy()
  }

  /** Runs after the update is in the doc log: derive the table, then tell windows. */
  private onUpdate(doc: DocName, update: Uint8Array, origin: unknown, tr: Y.Transaction): void {
    if (doc === 'queue') {
      const ids = changedItemIds(tr, tr.doc)
      if (ids.size > 0) {
        const { changed, invalid } = projectItems(tr.doc, this.store.queue, ids)
        for (const entry of invalid)
          this.log(`queue: skipped invalid item ${entry.id}: ${entry.issues.join('; ')}`)
        if (changed > 0) this.scheduleQueueChanged()
        // A proposal's item (same id as the proposal) changed: maybe a champion's decision.
        if ([...ids].some((id) => id.startsWith('prop_')))
          this.scheduleMineChanged({ shares: false })
      }
    } else if (doc === 'directory') {
      this.emitStatusIfChanged()
    }
    for (const connection of this.connections) connection.onDocUpdate(doc, update, origin)
  }

  private toSession(session: StoredSession): Session {
    const directory = this.sync?.docs.directory
    return {
      workspaceId: session.claims.ws,
      workspaceName: directory ? readWorkspaceName(directory) : null,
      memberId: session.claims.sub,
      displayName: session.claims.name,
      role: session.claims.role,
      relayUrl: session.relayUrl,
    }
  }

  private emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const connection of this.connections) connection.emit(name, payload)
  }

  private emitStatusIfChanged(): void {
    if (this.closed) return
    const status = this.status()
    const json = JSON.stringify(status)
    if (json === this.lastStatus) return
    this.lastStatus = json
    this.emit('status', status)
  }

  private scheduleMineChanged(what: { shares: boolean }): void {
    this.mineSharesChanged ||= what.shares
    if (this.mineChangedPending) return
    this.mineChangedPending = true
    setImmediate(() => {
      this.mineChangedPending = false
      const sharesChanged = this.mineSharesChanged
      this.mineSharesChanged = false
      if (this.closed) return
      this.emit('mine.changed', {
        pendingOutbox: this.shares.pendingOutbox(this.session),
        sharesChanged,
      })
    })
  }

  // A burst of updates (a full sync) becomes one event per tick.
  private scheduleQueueChanged(): void {
    if (this.queueChangedPending) return
    this.queueChangedPending = true
    setImmediate(() => {
      this.queueChangedPending = false
      if (this.closed) return
      this.emit('queue.changed', { count: this.store.queue.count() })
    })
  }
}
