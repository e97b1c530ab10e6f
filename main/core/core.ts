import type * as Y from 'yjs'
import type { CoreStatus, Nudge, Session } from '../../common/contract/api'
import type { Transport } from '../../common/contract/client'
import { readBoard } from '../../common/doc/board-doc'
import { readWorkspaceName } from '../../common/doc/directory-doc'
import type { DocName } from '../../common/doc/rooms'
import { Connection } from './api/connection'
import type { CoreContext } from './api/context'
import { CoreEvents } from './core-events'
import { cacheFor as imageCacheFor } from './images/handlers'
import { ImagePrefetcher } from './images/prefetch'
import { type Clock, DisposableStore, SystemClock, toDisposable } from './lifecycle'
import { JumpWatchingClock } from './nudges/clock-jumps'
import { workspaceNudgeContext } from './nudges/context'
import { languageOf, processLanguages } from './nudges/language'
import { NudgeService } from './nudges/service'
import { MyResultsService } from './results'
import { checkedOpener, type Opener, unavailableOpener } from './shares/opener'
import { OutboxSender } from './shares/outbox-sender'
import { type FateWatch, watchFates } from './shares/proposal-fates'
import { ShareStore } from './shares/share-store'
import { Shares } from './shares/shares'
import {
  keepQueuePublished,
  projectCampaigns,
  projectUpdate,
  rebuildQueueTable,
} from './store/queue-projection'
import type { StoredSession } from './store/session'
import { openStore, type Store, withDocLog } from './store/store'
import type { StoreTables } from './store/tables'
import { feedOptionsFromEnv, StudioFeeds } from './studio/feeds'
import { followHistoryRewrites } from './sync/history-follow'
import { TokenRenewal } from './sync/token-renewal'
import type { WorkspaceSync } from './sync/workspace-sync'
import type { Joined } from './workspace'
import { WorkspaceSession } from './workspace-session'

/**
 * How long after the core's start the queue table's rebuild and the first nudge plan wait: the
 * windows' first requests (one round trip each, a few milliseconds) go first. See syncStarted.
 */
const START_REBUILD_DELAY_MS = 1_000

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
  /** Every timer of the core runs on this clock (tests pass a SimulatedClock). */
  clock?: Clock
  /**
   * The OS's preferred languages as the shell reports them (what settings.language 'system'
   * means for the texts the core writes); default: the process's locale (nudges/language.ts).
   */
  systemLanguages?: readonly string[]
  /** Told of every nudge shown, besides the windows (the dev host writes them to a file). */
  onNudge?: (nudge: Nudge) => void
  log?: (line: string) => void
  /** Told as each step of open() ends (the dev host's start trace, for benchmarks). */
  onStartStep?: (step: string) => void
  /**
   * true (the app's utility process and the dev host): open() does not load the stored replicas;
   * they load after a window's first screen was answered from SQLite, when a request needs them,
   * or START_REBUILD_DELAY_MS after the start, whichever comes first; `replicas` says how that
   * went (a damaged stored document fails it, as it fails open() otherwise). Default false:
   * open() loads them.
   */
  deferReplicas?: boolean
  /**
   * The store's tables, already open (start.ts opens them to answer the first screen while this
   * module loads); open() adds the document log. Default: open() opens the whole store.
   */
  opened?: StoreTables
}

/**
 * The core: local store + workspace sync + the contract, with no transport of its own. Each
 * window (or test client) is attached as a Transport; the host and the Electron utility process
 * only carry frames. This file only wires the parts: the session state machine
 * (workspace-session.ts), event coalescing (core-events.ts) and the background services, each
 * registered in one lifecycle that close() disposes.
 */
export class Core implements CoreContext {
  readonly clock: Clock
  readonly shares: Shares
  readonly feeds: StudioFeeds
  readonly nudges: NudgeService
  readonly results: MyResultsService
  private readonly lifecycle = new DisposableStore()
  private readonly images: ImagePrefetcher
  private readonly events: CoreEvents
  private readonly workspace: WorkspaceSession
  private readonly renewal: TokenRenewal
  private readonly outbox: OutboxSender
  /** Polls the relay only while a proposal of mine awaits a decision; kicked when mine change. */
  private readonly fates: FateWatch
  private readonly log: (line: string) => void
  /** True while the stored session's replicas load at the start (see syncStarted). */
  private starting = false
  private readonly onStartStep: (step: string) => void
  /**
   * Settles once the stored session's replicas are loaded (at once when none were deferred);
   * rejected when they cannot be read: the host ends the start as if open() had failed.
   */
  readonly replicas: Promise<void>
  private settleReplicas: (error?: unknown) => void = () => {}

  private constructor(
    readonly store: Store,
    options: CoreOptions,
  ) {
    this.log = options.log ?? (() => {})
    this.onStartStep = options.onStartStep ?? (() => {})
    this.replicas = new Promise<void>((resolve, reject) => {
      this.settleReplicas = (error) => (error === undefined ? resolve() : reject(error))
    })
    // Observed by whoever awaits it; not an unhandled rejection otherwise.
    this.replicas.catch(() => {})
    // Every timer that fires first looks for a wall-clock jump, which replans the nudges.
    this.clock = new JumpWatchingClock(options.clock ?? new SystemClock(), (drift) =>
      this.environmentChanged('clock', undefined, Math.round(drift / 1000)),
    )
    const clock = this.clock
    // Disposed in reverse order: the store closes last, after everything that writes to it.
    this.lifecycle.add(toDisposable(() => store.close()))
    // Queue items' images fetched ahead, so an item never opened online has its image offline.
    this.images = this.lifecycle.add(new ImagePrefetcher(store.db, imageCacheFor(store.db).cache))
    const table = new ShareStore(store.db)
    table.pruneDelivered(new Date(clock.now()))
    this.events = new CoreEvents({
      status: () => this.status(),
      queueCount: () => this.store.queue.count(),
      pendingOutbox: () => this.shares.pendingOutbox(this.workspace.session),
      // The queue or my shares changed: the next nudge may too (once per burst).
      changed: () => {
        this.nudges.changed()
        this.images.schedule()
      },
    })
    // Device tokens renewed before they expire, and at once into a changed role.
    this.renewal = this.lifecycle.add(
      new TokenRenewal({
        clock,
        session: () => this.workspace.session,
        onRenewed: (next) => this.workspace.renewed(next),
        onProblem: () => this.events.statusMaybeChanged(),
        log: this.log,
      }),
    )
    this.workspace = this.lifecycle.add(
      new WorkspaceSession({
        store,
        clock,
        ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
        ...(options.refusedRetryMs !== undefined ? { refusedRetryMs: options.refusedRetryMs } : {}),
        ...(options.joinWaitMs !== undefined ? { joinWaitMs: options.joinWaitMs } : {}),
        onSyncStarted: (sync) => this.syncStarted(sync),
        onSyncStopped: () => {
          for (const connection of this.events.connections) connection.replicas.use(null)
        },
        onUpdate: (doc, update, origin, tr) => this.onUpdate(doc, update, origin, tr),
        onStatus: (synced) => {
          // Connected again: what waits in the outbox need not wait for its backoff.
          if (synced) {
            this.outbox.relayReachable()
            this.results.fetcher.kick()
          }
          this.renewal.update(this.workspace.sync?.status.problem?.code ?? null)
          this.events.statusMaybeChanged()
        },
        onJoined: () => {
          this.outbox.kick()
          this.fates.kick()
          // Another workspace (or member) means other shares too.
          this.events.mineChanged({ shares: true })
        },
        onLeft: () => {
          this.events.emit('queue.changed', { count: 0 })
          this.nudges.changed()
        },
        log: this.log,
      }),
    )
    this.outbox = this.lifecycle.add(
      new OutboxSender({
        store: table,
        clock,
        target: () => {
          const session = this.workspace.session
          return session
            ? {
                owner: { workspaceId: session.claims.ws, memberId: session.claims.sub },
                relayUrl: session.relayUrl,
                token: session.token,
              }
            : null
        },
        // Deliveries and failures change the outbox, never my shares.
        onChange: () => {
          this.events.mineChanged({ shares: false })
          // A proposal the relay now has awaits its decision.
          this.fates.kick()
          // A share the relay now has can be asked about.
          this.results.fetcher.kick()
        },
        log: this.log,
        ...(options.outboxMinBackoffMs !== undefined
          ? { minBackoffMs: options.outboxMinBackoffMs }
          : {}),
        ...(options.outboxMaxBackoffMs !== undefined
          ? { maxBackoffMs: options.outboxMaxBackoffMs }
          : {}),
      }),
    )
    this.shares = new Shares({
      table,
      queue: store.queue,
      // Whatever the host supplies, only http(s) and mailto: get through.
      opener: checkedOpener(options.opener ?? unavailableOpener),
      sender: this.outbox,
      changed: (what) => {
        this.events.mineChanged(what)
        this.fates.kick()
      },
      log: this.log,
    })
    // Decisions on my proposals come from the relay (employees do not hold curation).
    this.fates = this.lifecycle.add(
      watchFates({
        clock,
        session: () => this.workspace.session,
        views: () => {
          const session = this.workspace.session
          const sync = this.workspace.sync
          return session && sync ? this.shares.listMine({ session, sync }) : []
        },
        changed: () => this.events.mineChanged({ shares: false }),
      }),
    )
    this.feeds = this.lifecycle.add(
      new StudioFeeds(this, store.db, { ...feedOptionsFromEnv(), clock, log: this.log }),
    )
    this.nudges = this.lifecycle.add(
      new NudgeService({
        db: store.db,
        clock,
        settings: () => store.settings.get(),
        systemLanguage: languageOf(options.systemLanguages ?? processLanguages()),
        context: () => {
          const session = this.workspace.session
          const sync = this.workspace.sync
          return session && sync
            ? workspaceNudgeContext({ session, sync }, store.queue, table, {
                // The team's curve (board) in my zone, without my own clicks.
                zone: store.settings.get().timeZone,
                now: clock.now(),
                mine: this.nudges.store.clicks(0),
              })
            : null
        },
        show: (nudge) => {
          this.events.emit('nudge.show', nudge)
          options.onNudge?.(nudge)
        },
        log: this.log,
      }),
    )
    // My clicks and conversions: fetched after each sync and now and then, kept in SQLite.
    this.results = this.lifecycle.add(
      new MyResultsService(store.db, store.queue, {
        clock,
        proof: (shareId) => table.proof(shareId),
        session: () => this.workspace.session,
        leaderboardOptIn: () => store.settings.get().leaderboardOptIn ?? false,
        // New clicks: My stats re-reads, and the nudges learn from them.
        changed: () => {
          this.events.mineChanged({ shares: false })
          this.nudges.changed()
        },
        log: this.log,
      }),
    )
    this.lifecycle.add(toDisposable(store.settings.onChange(() => this.nudges.changed())))
    this.lifecycle.add(
      toDisposable(store.settings.onChange(() => this.results.fetcher.settingsChanged())),
    )
    // Disposed first: no event leaves while the rest shuts down.
    this.lifecycle.add(this.events)
    // Every window follows theme and language as soon as one of them changes a setting.
    this.lifecycle.add(
      toDisposable(
        store.settings.onChange((settings) => this.events.emit('settings.changed', settings)),
      ),
    )
  }

  /** Open the data directory and, if a workspace was joined, start from SQLite and sync. */
  static async open(options: CoreOptions): Promise<Core> {
    // The status names a storage fault (disk full) as it starts and ends (see doc-log.ts).
    let onFault = () => {}
    const docLogOptions = { compactEvery: options.compactEvery ?? 500, onFault: () => onFault() }
    const store = options.opened
      ? withDocLog(options.opened, docLogOptions)
      : openStore(options.dataDir, docLogOptions)
    const step = options.onStartStep ?? (() => {})
    if (!options.opened) step('SQLite open')
    let started: Core | null = null
    try {
      started = new Core(store, options)
      step('services built')
      // The replicas (the queue's Y.Doc above all: ~0.3 s for 1,000 items on a quiet machine)
      // load after the windows' first screen, answered from SQLite alone (items, campaigns, my
      // shares): see answered(). A table written before the campaigns were projected cannot
      // rank alone, so it loads them now, once.
      const deferred = options.deferReplicas === true && store.queue.campaignsProjected()
      started.starting = true
      started.workspace.resume({ deferred })
      started.starting = false
      if (started.workspace.pendingStart) {
        started.armDeferredStart()
        step('session resumed, replicas deferred')
      } else started.replicasLoaded()
    } catch (error) {
      // A start that fails halfway leaves nothing open: database, sync, timers (close() disposes
      // what the constructor registered, the store last; without a core, the store alone).
      if (started) await started.close().catch(() => undefined)
      else store.close()
      throw error
    }
    const core = started
    onFault = () => core.events.statusMaybeChanged()
    core.renewal.update()
    core.events.primeStatus()
    // Whatever a previous run left in the outbox goes out as soon as the relay answers.
    core.outbox.kick()
    // Feed sources are polled now and then while a champion's core runs (no-op for employees).
    core.feeds.start()
    // The first nudge is planned from what SQLite holds (sync and settings replan it), a moment
    // after the start: planning reads the whole queue, and the windows' first requests go first
    // (on the core's clock: a simulated one runs it when advanced, close() cancels it).
    core.lifecycle.add(core.clock.setTimeout(() => core.nudges.changed(), START_REBUILD_DELAY_MS))
    step('background services started')
    return core
  }

  /** Serve the contract over a transport (one per window); it detaches when the transport closes. */
  attach(transport: Transport): Connection {
    const connections = this.events.connections
    const connection = new Connection(transport, this, this.log, (closed) =>
      connections.delete(closed),
    )
    connection.replicas.use(this.workspace.sync)
    connections.add(connection)
    return connection
  }

  /**
   * The joined workspace's session, or a `not_joined` ContractError; unlike joined(), it does
   * not need (nor load) the replicas.
   */
  session(): { session: StoredSession } {
    const session = this.workspace.session
    if (!session) return this.joined()
    return { session }
  }

  /**
   * A window's request was answered. The first `queue.forMe` (the popover's first screen, sent
   * with `status.get` and `settings.get`) lets the deferred replicas load, in a later macrotask:
   * frames that arrived with it are answered first.
   */
  answered(method: string): void {
    if (method !== 'queue.forMe' || !this.workspace.pendingStart) return
    const immediate = setImmediate(() => this.startDeferred())
    this.lifecycle.add(toDisposable(() => clearImmediate(immediate)))
  }

  replicasNeeded(): void {
    this.startDeferred()
  }

  status(): CoreStatus {
    const session = this.workspace.session
    const sync = this.workspace.sync
    const fault = this.store.docLog.fault
    return {
      session: session ? this.toSession(session) : null,
      // A session whose replicas have not loaded yet is about to connect.
      sync: sync?.status.sync ?? (session ? 'connecting' : 'offline'),
      // Changes not written to disk matter more than a connection: they are said first.
      lastError: fault?.message ?? sync?.status.lastError ?? null,
      problem:
        (fault ? { code: fault.problem } : null) ??
        this.renewal.problem ??
        sync?.status.problem ??
        (session ? null : this.workspace.lastRefusal),
    }
  }

  joined(): Joined {
    this.startDeferred()
    return this.workspace.joined()
  }

  now(): string {
    return new Date(this.clock.now()).toISOString()
  }

  join(invitation: string): Promise<Session> {
    return this.workspace.join(invitation, (session) => this.toSession(session))
  }

  leave(): Promise<void> {
    return this.workspace.leave()
  }

  /** Resync from the relay the documents whose change it refused (doc.discardRefused). */
  discardRefused(): DocName[] {
    return this.workspace.discardRefused()
  }

  /** Work offline on purpose (tests, and later a "pause sync" switch); edits are kept locally. */
  setNetwork(enabled: boolean): void {
    this.workspace.setNetwork(enabled)
  }

  /**
   * The machine woke up, the time zone changed or the wall clock jumped (the shell reports
   * them): timers run on the monotonic clock, so what is aimed at local times is replanned. The
   * OS's new zone, when given, is what 'system' means until the core restarts (its own Intl keeps
   * the zone the process started with).
   */
  environmentChanged(
    what: 'resume' | 'time-zone' | 'clock',
    timeZone?: string,
    jumpSeconds?: number,
  ): void {
    const detail = timeZone ?? (jumpSeconds !== undefined ? `${jumpSeconds} s` : '')
    this.log(`core: ${what}${detail ? ` (${detail})` : ''}, replanning`)
    if (timeZone) this.nudges.setSystemZone(timeZone)
    this.nudges.changed()
  }

  /** Release everything: timers, passes under way, sync, then the store. Idempotent. */
  close(): Promise<void> {
    return this.lifecycle.dispose()
  }

  /** Load the deferred replicas now (first screen answered, a request that needs them, or the timer). */
  private startDeferred(): void {
    if (!this.workspace.pendingStart) return
    this.starting = true
    try {
      this.workspace.startDeferred()
    } catch (error) {
      this.log(`core: the stored replicas cannot be loaded: ${String(error)}`)
      this.settleReplicas(error)
      return
    } finally {
      this.starting = false
    }
    this.replicasLoaded()
    this.events.statusMaybeChanged()
  }

  /** A window may never ask (a core without windows): the replicas load a moment after the start. */
  private armDeferredStart(): void {
    // A real timer, not the core's clock, as for the rebuild (see syncStarted).
    const timer = setTimeout(() => this.startDeferred(), START_REBUILD_DELAY_MS)
    timer.unref()
    this.lifecycle.add(toDisposable(() => clearTimeout(timer)))
  }

  /** The stored session's replicas are loaded and its sync started. */
  private replicasLoaded(): void {
    // A proposal of an earlier run may still await its decision.
    this.fates.kick()
    this.onStartStep('replicas loaded from SQLite, sync started')
    this.settleReplicas()
  }

  private syncStarted(sync: WorkspaceSync): void {
    // The table is derived: rebuilding it at start also repairs a crash between the log append
    // and the table update (two transactions).
    keepQueuePublished(sync, this.log)
    followHistoryRewrites(sync, this.store.docLog, this.log)
    // A table older than the campaigns' projection ranks without them until the rebuild: they
    // are few, projected at once.
    if (!this.store.queue.campaignsProjected()) projectCampaigns(sync, this.store.queue)
    for (const connection of this.events.connections) connection.replicas.use(sync)
    // Not during the start: reading and validating every item is a large queue's biggest step
    // after loading it (~150 ms for 1,000 items on a quiet machine, several times that loaded),
    // and the table persists, so windows read it meanwhile; a repair shows up as a queue change.
    // At the core's start it waits a moment more, so the windows' first requests (the popover's
    // first screen) are answered before it; after a join or a role change it runs at once.
    const rebuild = () => {
      if (this.workspace.sync !== sync) return
      const { changed, invalid } = rebuildQueueTable(sync, this.store.queue)
      for (const entry of invalid)
        this.log(`queue: skipped invalid item ${entry.id}: ${entry.issues.join('; ')}`)
      if (changed > 0) this.events.queueChanged()
    }
    if (this.starting) {
      // A real timer, not the core's clock: a simulated clock in tests would never run it.
      const timer = setTimeout(rebuild, START_REBUILD_DELAY_MS)
      timer.unref()
      this.lifecycle.add(toDisposable(() => clearTimeout(timer)))
    } else {
      const immediate = setImmediate(rebuild)
      this.lifecycle.add(toDisposable(() => clearImmediate(immediate)))
    }
  }

  /** Runs after the update is in the doc log: derive the table, then tell windows. */
  private onUpdate(doc: DocName, update: Uint8Array, origin: unknown, tr: Y.Transaction): void {
    const sync = this.workspace.sync
    if ((doc === 'queue' || doc === 'curation') && sync) {
      const { ids, changed, invalid } = projectUpdate(sync, this.store.queue, doc, tr)
      for (const entry of invalid)
        this.log(`queue: skipped invalid entry ${entry.id}: ${entry.issues.join('; ')}`)
      // Items or campaigns (their deadlines rank the queue) changed.
      if (changed > 0) this.events.queueChanged()
      // A proposal's item (same id as the proposal) changed: maybe a champion's decision.
      if ([...ids].some((id) => id.startsWith('prop_'))) this.events.mineChanged({ shares: false })
    } else if (doc === 'directory' && sync) {
      // The status names the workspace before the replicas load at the next start.
      this.store.queue.setWorkspaceName(readWorkspaceName(sync.docs.directory))
      this.events.statusMaybeChanged()
    } else if (doc === 'board' && sync) {
      // The team's results changed: the studio's results view and My stats re-read them, and
      // the nudges' pooled layer (the team's click curve) may move.
      this.events.emit('board.changed', { updatedAt: readBoard(sync.docs.board).updatedAt })
      this.nudges.changed()
    }
    for (const connection of this.events.connections) connection.onDocUpdate(doc, update, origin)
  }

  private toSession(session: StoredSession): Session {
    // Not a use: a status read must not wake a sleeping directory (the table keeps the name).
    const directory = this.workspace.sync?.ifAwake('directory')
    return {
      workspaceId: session.claims.ws,
      workspaceName:
        (directory ? readWorkspaceName(directory) : null) ?? this.store.queue.workspaceName(),
      memberId: session.claims.sub,
      displayName: session.claims.name,
      role: session.claims.role,
      relayUrl: session.relayUrl,
    }
  }
}
