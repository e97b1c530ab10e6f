import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { Awareness, outdatedTimeout, removeAwarenessStates } from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import { messageSync, WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { SyncState } from '../../../common/contract/api'
import { ContractError } from '../../../common/contract/messages'
import { type Problem, problem } from '../../../common/contract/problems'
import { MAX_CHANGE_BYTES, RELAY_CLOSE } from '../../../common/doc/limits'
import { campaignsMap, itemsMap } from '../../../common/doc/queue-doc'
import {
  type Access,
  accessFor,
  DOC_NAMES,
  type DocName,
  roomName,
} from '../../../common/doc/rooms'
import {
  type Clock,
  type Disposable,
  DisposableStore,
  MutableDisposable,
  SystemClock,
  toDisposable,
} from '../lifecycle'
import { collectAtRest, collectionComing, exposesGc } from '../runtime-flags'
import type { DocLog, StorageFault } from '../store/doc-log'
import type { StoredSession } from '../store/session'
import { describeConnectionError, describeTerminalClose, RelaySocket } from './relay-errors'
import { splitUpdate } from './split-update'

/** `problem`: the same failure as `lastError`, as a code the windows translate. */
export type SyncStatus = { sync: SyncState; lastError: string | null; problem: Problem | null }

export type WorkspaceSyncOptions = {
  session: StoredSession
  docLog: DocLog
  /** Upper bound of y-websocket's exponential reconnect backoff. */
  maxBackoffMs?: number
  /** After the relay refused the token, wait this long before trying again (not hot). */
  refusedRetryMs?: number
  /** Called after an update (local or remote) is stored, before it reaches anyone else. */
  onUpdate?: (doc: DocName, update: Uint8Array, origin: unknown, transaction: Y.Transaction) => void
  onStatus?: (status: SyncStatus) => void
  /** The core's clock: keepalive, refusal retry and waitForSync's time limit run on it. */
  clock?: Clock
  /** A connected link that received nothing this long is closed and reconnected (see watchSilence). */
  silenceTimeoutMs?: number
  /**
   * A replica this role only reads that nothing used (no call, no update, no window) for this
   * long is dropped from memory until it is needed again (see sleep). 0: never.
   */
  sleepAfterMs?: number
  log?: (line: string) => void
}

/** How long a read-only replica stays in memory after its last use (see WorkspaceSync.sleep). */
export const SLEEP_AFTER_MS = 2_000

/** Told of every update stored (local or remote), after the sync's own onUpdate. */
export type UpdateObserver = (
  doc: DocName,
  update: Uint8Array,
  origin: unknown,
  transaction: Y.Transaction,
) => void

/**
 * One document's replica. `doc` is null while it sleeps: the doc log holds all of it, and the
 * provider and awareness point at `shell` (an empty doc with the same client id) until the next
 * use, message from the relay or (re)connection loads it again (see wake).
 */
type Replica = {
  name: DocName
  key: string
  /** The role may hold it (not curation for an employee): stored and synced. */
  held: boolean
  /** Held and only read by this role: nothing local can be lost by sleeping (see sleep). */
  canSleep: boolean
  doc: Y.Doc | null
  shell: Y.Doc
  /** The core's clock when it was last used (see use). */
  lastUsed: number
  /** Windows holding it awake (pin). */
  pins: number
  timer: Disposable | null
}

/**
 * y-websocket closes a socket that received nothing for 30 s, checked by a 3 s interval per
 * provider. The relay sends an idle peer a heartbeat every 10 to 15 s (DEFAULT_HEARTBEAT_MS, checked
 * every half interval): more than two of them missed means the link is dead.
 */
export const SILENCE_TIMEOUT_MS = 40_000

/** Origin of updates replayed from SQLite at start: already stored, not to be appended again. */
export const LOADED_FROM_STORE = Symbol('loaded-from-store')

/** A local change refused, or not saved, because the doc log cannot write (disk full). */
export function storageError(fault: StorageFault): ContractError {
  return new ContractError('unavailable', fault.message, problem(fault.problem))
}

type Link = {
  doc: DocName
  provider: WebsocketProvider
  /** Closes the socket when the relay stays silent; re-armed on every received message. */
  silence: Disposable | null
  connected: boolean
  synced: boolean
  failed: boolean
  /** Set by a connection-error that said 401/403, read by shouldReconnect right after. */
  refused: string | null
  /** Why, as a code (set with `refused`). */
  refusedProblem: Problem | null
  /** The relay closed it over a change of ours (1009, 4422, 4423): resending cannot help. */
  changeRefused: boolean
}

const CHANGE_REFUSED_CODES = new Set<number>(Object.values(RELAY_CLOSE))

/** How often a sync paused by failing storage checks whether it can write again. */
const STORAGE_RETRY_MS = 1_000

/**
 * y-websocket adds a process 'exit' listener per provider (its awareness state leaves with the
 * process): one per document of every sync, so a few cores in one process (tests) passed Node's
 * limit and warned. Every provider's listener is taken off and this one does what they did.
 */
const exitingProviders = new Set<WebsocketProvider>()
let exitListening = false
function shareExitListener(provider: WebsocketProvider): () => void {
  process.off('exit', provider._exitHandler)
  exitingProviders.add(provider)
  if (!exitListening) {
    exitListening = true
    process.on('exit', () => {
      for (const p of exitingProviders)
        removeAwarenessStates(p.awareness, [p.doc.clientID], 'app closed')
    })
  }
  return () => exitingProviders.delete(provider)
}

/*
 * y-websocket drops a connection that received nothing for 30 s. The relay sends idle
 * connections a heartbeat of a few bytes every 10 s (sync-server/rooms/room-manager.ts), so a
 * quiet room stays open and a dead relay is still noticed by that watchdog; the core no longer
 * asks for a full sync every 10 s (each answer carried the whole delete set). It resyncs when it
 * reconnects, which is when something may have been missed.
 */

/**
 * Keeps a local replica of each of the workspace's documents in step with the relay.
 * Replicas are loaded from the doc log synchronously in the constructor, so queries work at once
 * with no network; every update is appended to the log before any other listener (including the
 * provider that sends it to the relay) sees it.
 */
export class WorkspaceSync implements Disposable {
  /** The replicas; reading one is a use (it wakes it if it sleeps, see use). */
  readonly docs: Record<DocName, Y.Doc>
  readonly awareness: Record<DocName, Awareness>
  private readonly replicas: Record<DocName, Replica>
  private readonly observers = new Set<UpdateObserver>()
  /** A full GC planned after replicas fell asleep (see sleep). */
  private gcTimer: Disposable | null = null
  private readonly links: Link[] = []
  private current: SyncStatus = { sync: 'connecting', lastError: null, problem: null }
  /** Everything this sync holds; destroy() disposes it (providers, replicas, timers). */
  private readonly lifecycle = new DisposableStore()
  private readonly refusedTimer = this.lifecycle.add(new MutableDisposable())
  private readonly storageTimer = this.lifecycle.add(new MutableDisposable())
  private readonly clock: Clock
  /** waitForSync callers, told after every change of state (see settle). */
  private readonly waiters = new Set<() => void>()
  private settleScheduled = false
  private destroyed = false
  private paused = false
  /** Links disconnected because storage fails: what arrives could not be stored either. */
  private storagePaused = false
  /** Local updates the doc log could not append (see guardLocalWrites). */
  private unsavedLocal = 0
  /** Local updates over MAX_CHANGE_BYTES, never sent (see holdOversized). */
  private oversizedLocal = 0

  constructor(private readonly options: WorkspaceSyncOptions) {
    const { session, docLog } = options
    this.clock = options.clock ?? new SystemClock()
    const workspaceId = session.claims.ws
    const replicas = {} as Record<DocName, Replica>
    const awareness = {} as Record<DocName, Awareness>
    const now = this.clock.now()
    for (const name of DOC_NAMES) {
      const key = roomName(workspaceId, name)
      // A document the role may not hold (curation, for an employee) is never synced or stored;
      // one left from an earlier role on this device is erased. It stays an empty replica.
      const access = accessFor(name, session.claims.role)
      const held = access !== 'none'
      const shell = new Y.Doc()
      const replica: Replica = {
        name,
        key,
        held,
        canSleep: access === 'read' && (options.sleepAfterMs ?? SLEEP_AFTER_MS) > 0,
        doc: null,
        shell,
        lastUsed: now,
        pins: 0,
        timer: null,
      }
      replicas[name] = replica
      try {
        if (!held) docLog.remove(key)
        this.load(replica)
      } catch (error) {
        // Nothing made so far may outlive a failed start.
        for (const made of Object.values(awareness)) made.destroy()
        for (const made of Object.values(replicas)) {
          made.doc?.destroy()
          made.shell.destroy()
        }
        throw new Error(
          `The copy of the workspace's "${name}" document stored on this device cannot be read (${error instanceof Error ? error.message : String(error)}): the data file is damaged`,
          { cause: error },
        )
      }
      // Bound to the shell, which lives as long as the sync: the awareness only takes the doc's
      // client id (the replica keeps the same one) and is destroyed with it.
      const aw = new Awareness(shell)
      // The core is not a person: windows publish their own presence through it.
      aw.setLocalState(null)
      this.expireRemoteStates(aw)
      awareness[name] = aw
    }
    this.replicas = replicas
    // Every read of `docs` is a use: it wakes a sleeping replica and keeps it awake a while.
    const docs = {} as Record<DocName, Y.Doc>
    for (const name of DOC_NAMES)
      Object.defineProperty(docs, name, { enumerable: true, get: () => this.use(name) })
    this.docs = docs
    this.awareness = awareness
    // Replicas go last (registered first): providers are destroyed before the docs they sync.
    for (const name of DOC_NAMES) {
      this.lifecycle.add(
        toDisposable(() => {
          const replica = this.replicas[name]
          void replica.timer?.dispose()
          replica.timer = null
          this.awareness[name].destroy()
          replica.doc?.destroy()
          replica.shell.destroy()
        }),
      )
    }
    for (const name of DOC_NAMES) {
      if (this.access(name) === 'none') continue
      const link = this.link(name)
      this.links.push(link)
      const unlisten = shareExitListener(link.provider)
      this.lifecycle.add(
        toDisposable(() => {
          unlisten()
          link.provider.destroy()
        }),
      )
    }
    for (const link of this.links) link.provider.connect()
    for (const replica of Object.values(this.replicas)) this.armSleep(replica)
    // Until every replica that may sleep does, the collection after a window's requests waits
    // for the one sleep() runs (runtime-flags.ts).
    const sleepers = Object.values(this.replicas).filter((replica) => replica.canSleep)
    this.lifecycle.add(
      toDisposable(collectionComing(() => sleepers.some((replica) => replica.doc !== null))),
    )
    this.recompute()
  }

  /**
   * Load a replica from the doc log into a new Y.Doc (at start, and when a sleeping one wakes),
   * then listen to it. Loaded before the listeners: what is replayed is already stored.
   */
  private load(replica: Replica): Y.Doc {
    const { docLog } = this.options
    const { name, key, held } = replica
    const doc = new Y.Doc()
    // The same client id across sleeps: a write after a wake continues this replica's clock.
    doc.clientID = replica.shell.clientID
    if (held) docLog.loadInto(key, doc, LOADED_FROM_STORE)
    // A root type loaded from bytes stays an untyped AbstractType until someone asks for it by
    // type; asking later (itemsMap after a transaction) replaces it by a new Y.Map, so that
    // transaction's `changed` names a type that is no longer the doc's and the queue table
    // misses its items. Every root of the workspace's documents is a map (common/doc).
    for (const [root, type] of doc.share) if (type.constructor === Y.AbstractType) doc.getMap(root)
    // The roots the queue table is projected from, also when the log did not hold them yet: the
    // first item reaching an empty queue that slept would otherwise create them untyped.
    if (name === 'queue' || name === 'curation') itemsMap(doc)
    if (name === 'queue') campaignsMap(doc)
    if (held) this.guardLocalWrites(doc, replica)
    // Registered before the provider's own listener: Yjs calls 'update' listeners in order.
    doc.on('update', (update: Uint8Array, origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
      if (!held) return
      if (origin !== LOADED_FROM_STORE && docLog.append(key, update) === null) {
        if (!(origin instanceof WebsocketProvider)) this.unsavedLocal++
        this.storageFailing()
      }
      // Before the provider's listener sends it: a local change over what the relay takes is
      // never sent (the relay would close on it, and every reconnect would resend it).
      if (
        origin !== LOADED_FROM_STORE &&
        !(origin instanceof WebsocketProvider) &&
        update.byteLength > MAX_CHANGE_BYTES
      ) {
        this.oversizedLocal++
        this.holdOversized(name, update.byteLength)
      }
      const derive = () => {
        this.options.onUpdate?.(name, update, origin, tr)
        for (const observer of this.observers) observer(name, update, origin, tr)
      }
      try {
        derive()
      } catch (error) {
        // A throw out of an 'update' listener leaves Yjs emitting no more updates for this doc
        // (nothing logged, sent or shown after it). What failed is derived (the queue table,
        // with the disk full): the doc log replays it, in order, once writes work again.
        docLog.failedDerived(error, derive)
        this.options.log?.(
          `sync: could not derive "${name}" (${String(error)}); redone when storage works`,
        )
      }
      this.touch(replica)
    })
    replica.doc = doc
    return doc
  }

  get status(): SyncStatus {
    return this.current
  }

  get isDestroyed(): boolean {
    return this.destroyed
  }

  /** Whether a replica is out of memory now (see sleep); for tests and the log. */
  isAsleep(doc: DocName): boolean {
    return this.replicas[doc].doc === null
  }

  /**
   * The replica if it is in memory now, else null, without waking it: for reads that have another
   * source while it sleeps (the status's workspace name is also kept in the queue table).
   */
  ifAwake(doc: DocName): Y.Doc | null {
    return this.replicas[doc].doc
  }

  /** Told of every update stored, local or remote, whichever Y.Doc holds the replica then. */
  observe(observer: UpdateObserver): Disposable {
    this.observers.add(observer)
    return toDisposable(() => {
      this.observers.delete(observer)
    })
  }

  /**
   * Keep a replica in memory while the returned disposable lives (a window syncing it: its
   * replica follows this one update by update).
   */
  pin(doc: DocName): Disposable {
    const replica = this.replicas[doc]
    replica.pins++
    this.use(doc)
    let released = false
    return toDisposable(() => {
      if (released) return
      released = true
      replica.pins--
      this.touch(replica)
    })
  }

  /** The replica, woken if it sleeps; a use keeps it awake SLEEP_AFTER_MS more. */
  private use(name: DocName): Y.Doc {
    const replica = this.replicas[name]
    if (this.destroyed) return replica.doc ?? replica.shell
    const doc = replica.doc ?? this.wake(replica, 'used')
    this.touch(replica)
    return doc
  }

  private touch(replica: Replica): void {
    replica.lastUsed = this.clock.now()
    this.armSleep(replica)
  }

  /**
   * One timer per awake replica that may sleep, armed at most once per quiet period: a use only
   * moves `lastUsed`, and the timer, when it fires early, waits for the rest.
   */
  private armSleep(replica: Replica, delayMs?: number): void {
    if (!replica.canSleep || replica.timer || replica.doc === null || this.destroyed) return
    if (replica.pins > 0) return
    const quiet = this.options.sleepAfterMs ?? SLEEP_AFTER_MS
    replica.timer = this.clock.setTimeout(() => {
      replica.timer = null
      this.sleep(replica)
    }, delayMs ?? quiet)
  }

  /**
   * Drop a read-only replica nobody used for SLEEP_AFTER_MS (an employee's 1,000-item queue is
   * ~22 MiB of heap). The doc log holds all of it, so nothing is lost: what arrives from the
   * relay wakes it first (it is applied, stored and projected as ever), a (re)connection wakes
   * it so its sync step 1 carries the real state vector, and any read of `docs` wakes it. It
   * never sleeps while a window holds it, while its link is between connecting and synced, or
   * for a role that writes the document (see canSleep).
   */
  private sleep(replica: Replica): void {
    const doc = replica.doc
    if (!doc || this.destroyed || !replica.canSleep || replica.pins > 0) return
    const quiet = this.options.sleepAfterMs ?? SLEEP_AFTER_MS
    const idle = this.clock.now() - replica.lastUsed
    if (idle < quiet) {
      this.armSleep(replica, quiet - idle)
      return
    }
    const link = this.links.find((entry) => entry.doc === replica.name)
    if (link && (link.provider.wsconnecting || (link.provider.wsconnected && !link.synced))) {
      this.armSleep(replica, quiet)
      return
    }
    if (link) this.attach(link.provider, doc, replica.shell)
    replica.doc = null
    this.options.log?.(`sync ${replica.name}: replica asleep (unused for ${idle} ms)`)
    // One collection once they all sleep (each is ~0.2 s of CPU with a large heap), not one each.
    if (Object.values(this.replicas).every((entry) => !entry.canSleep || entry.doc === null))
      this.collectSoon()
  }

  /** Load a sleeping replica again (see sleep) and give it back to its provider. */
  private wake(replica: Replica, why: string): Y.Doc {
    const doc = this.load(replica)
    const link = this.links.find((entry) => entry.doc === replica.name)
    if (link) this.attach(link.provider, replica.shell, doc)
    this.options.log?.(`sync ${replica.name}: replica awake (${why})`)
    this.touch(replica)
    return doc
  }

  /**
   * Move a provider from one Y.Doc to another (same client id): what it sends is read from
   * `provider.doc`, and its update listener sends the local changes of the doc it listens to.
   */
  private attach(provider: WebsocketProvider, from: Y.Doc, to: Y.Doc): void {
    const { _updateHandler: send } = provider as unknown as {
      _updateHandler: (update: Uint8Array, origin: unknown) => void
    }
    from.off('update', send)
    to.on('update', send)
    provider.doc = to
  }

  /**
   * V8 frees a dropped replica's old-space pages only at its next full collection, which an idle
   * process may not run for a long time: with gc() (runtime-flags.ts collectAtRest), one full GC soon
   * after the last replica fell asleep returns them now.
   */
  private collectSoon(): void {
    if (!exposesGc() || this.gcTimer) return
    this.gcTimer = this.clock.setTimeout(() => {
      this.gcTimer = null
      // A full collection that compacts, so the emptied pages are released (runtime-flags.ts).
      if (!this.destroyed) collectAtRest()
    }, 100)
  }

  /**
   * Local changes (the core's API, feeds, migrations: every `doc.transact` on a replica) are made
   * only when the doc log can store them, so memory never runs ahead of the log for a change a
   * caller was told is done. While storage fails a change is refused before it is made (after one
   * more try to write what is held); the one during which storage began to fail is already in
   * memory, so it is held (written first once space returns, because later updates build on it)
   * and its caller is told it is not saved. Remote updates go through Y.applyUpdate, not this.
   */
  private guardLocalWrites(doc: Y.Doc, replica: Replica): void {
    const transact = doc.transact.bind(doc)
    const { docLog } = this.options
    doc.transact = <T>(f: (tr: Y.Transaction) => T, origin?: unknown): T => {
      // Nested calls run inside the outer transaction: only the outermost is checked.
      if (doc._transaction !== null) return transact(f, origin)
      // A doc kept from before its replica slept is no longer synced: a change to it would be
      // stored but never sent (and missing from the replica that wakes). Read `docs` anew.
      if (replica.doc !== doc && !doc.isDestroyed && !this.destroyed) {
        throw new Error(`sync: a change to a stale "${replica.name}" replica (it slept since)`)
      }
      const fault = this.storageFault()
      if (fault) throw storageError(fault)
      const before = this.unsavedLocal
      const oversized = this.oversizedLocal
      const result = transact(f, origin)
      if (this.unsavedLocal !== before && docLog.fault) throw storageError(docLog.fault)
      if (this.oversizedLocal !== oversized) {
        throw new ContractError(
          'bad_request',
          `The change is larger than the relay accepts (over ${MAX_CHANGE_BYTES} bytes): not sent`,
          problem('changeTooLarge', { limit: MAX_CHANGE_BYTES }),
        )
      }
      return result
    }
  }

  /**
   * A change of ours too large for the relay (the core's own, or one typed through the API: a
   * window's is refused before it is made): its link stops before the provider sends it, exactly
   * as if the relay had refused it, so the person sees why and can discard it
   * (doc.discardRefused); it is never sent, so nothing reconnects and resends it in a loop.
   */
  private holdOversized(doc: DocName, bytes: number): void {
    const link = this.links.find((entry) => entry.doc === doc)
    if (!link || this.destroyed) return
    const message = `A change of ${bytes} bytes to "${doc}" is over the ${MAX_CHANGE_BYTES}-byte limit of the relay: not sent`
    this.options.log?.(`sync ${doc}: stopped, ${message}`)
    link.changeRefused = true
    link.refused = message
    link.refusedProblem = problem('changeTooLarge', { bytes, limit: MAX_CHANGE_BYTES })
    link.provider.disconnect()
    this.setError(message, link.refusedProblem)
    this.recompute()
  }

  /**
   * Whether a local change can be stored now (held updates written first), else why not. Window
   * updates arrive as bytes and are checked with this before they are applied.
   */
  storageFault(): StorageFault | null {
    if (this.options.docLog.flush()) {
      this.storageResumed()
      return null
    }
    this.storageFailing()
    return this.options.docLog.fault
  }

  /**
   * Storage fails: stop receiving what could not be stored either (the links go offline until
   * storage works), and check now and then whether it works again. The relay keeps everything;
   * the resync on reconnecting fetches what arrived meanwhile.
   */
  private storageFailing(): void {
    if (this.storagePaused || this.destroyed) return
    this.storagePaused = true
    this.options.log?.(`sync: storage fails (${this.options.docLog.fault?.message}); links paused`)
    for (const link of this.links) link.provider.disconnect()
    this.storageTimer.value = this.clock.setInterval(() => {
      if (!this.destroyed && this.options.docLog.flush()) this.storageResumed()
    }, STORAGE_RETRY_MS)
    this.recompute()
  }

  /** Storage works again (everything held is written): the links reconnect and resync. */
  storageResumed(): void {
    if (!this.storagePaused || this.destroyed) return
    this.storagePaused = false
    this.storageTimer.clear()
    this.options.log?.('sync: storage works again; links resume')
    if (!this.paused) for (const link of this.links) link.provider.connect()
    this.recompute()
  }

  get workspaceId(): string {
    return this.options.session.claims.ws
  }

  access(doc: DocName): Access {
    return accessFor(doc, this.options.session.claims.role)
  }

  /**
   * Resolves once the first connection attempt has an outcome: every document synced, the relay
   * refused us, or it could not be reached (offline); or when the time is up.
   */
  waitForSync(timeoutMs: number): Promise<SyncStatus & { timedOut: boolean }> {
    return new Promise((resolve) => {
      const finish = (timedOut: boolean) => {
        this.waiters.delete(check)
        timer.dispose()
        resolve({ ...this.current, timedOut })
      }
      const check = () => {
        if (this.isSettled()) finish(false)
      }
      const timer = this.clock.setTimeout(() => finish(true), timeoutMs)
      this.waiters.add(check)
      check()
    })
  }

  /** Documents whose link the relay closed over a change of ours (see discard in the session). */
  changeRefusedDocs(): DocName[] {
    return this.links.filter((link) => link.changeRefused).map((link) => link.doc)
  }

  isRefused(): boolean {
    return this.links.some((link) => link.refused !== null)
  }

  /** The first connection attempt has an outcome (what waitForSync waits for). */
  private isSettled(): boolean {
    return this.current.sync !== 'connecting' || this.isRefused() || this.destroyed
  }

  /**
   * Wake waitForSync callers after each change of status, refusal or destroy. They look once the
   * current burst of events is over: ws reports a refused upgrade as an error and then a close,
   * and the outcome is the state after both.
   */
  private settle(): void {
    if (this.waiters.size === 0 || this.settleScheduled) return
    this.settleScheduled = true
    setImmediate(() => {
      this.settleScheduled = false
      for (const check of [...this.waiters]) check()
    })
  }

  /**
   * A renewed token with the same role (token-renewal.ts). Every link reconnects with it now: the
   * relay closes a connection when the token it was opened with expires (4401, final), so none
   * may outlive the old token. Resync after a reconnect only exchanges what is missing.
   */
  setToken(token: string): void {
    if (this.destroyed) return
    for (const link of this.links) {
      link.provider.params = { ...link.provider.params, token }
      link.refused = null
      link.refusedProblem = null
      if (this.paused || this.storagePaused) continue
      link.provider.disconnect()
      link.provider.connect()
    }
    this.recompute()
  }

  /** Go offline on purpose (or back online); local edits keep being stored meanwhile. */
  setNetwork(enabled: boolean): void {
    if (this.destroyed || this.paused === !enabled) return
    this.paused = !enabled
    for (const link of this.links) {
      if (enabled) {
        link.refused = null
        link.refusedProblem = null
        if (!this.storagePaused) link.provider.connect()
      } else link.provider.disconnect()
    }
    this.recompute()
  }

  /** Stop syncing; replicas stay readable until destroy(). */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    void this.gcTimer?.dispose()
    this.gcTimer = null
    // Every disposable here is synchronous: the store has released all of it on return.
    void this.lifecycle.dispose()
    this.current = { sync: 'offline', lastError: null, problem: null }
    this.settle()
  }

  dispose(): void {
    this.destroy()
  }

  private link(name: DocName): Link {
    const { session } = this.options
    const replica = this.replicas[name]
    const link: Link = {
      doc: name,
      silence: null,
      connected: false,
      synced: false,
      failed: false,
      refused: null,
      refusedProblem: null,
      changeRefused: false,
      // Made on the shell: the provider's constructor closures (its process 'exit' handler
      // among them) keep the doc they were given for the provider's whole life, which would
      // keep a sleeping replica in memory. The replica is handed over right after (attach).
      provider: new WebsocketProvider(
        session.relayUrl,
        roomName(session.claims.ws, name),
        replica.shell,
        {
          connect: false,
          awareness: this.awareness[name],
          params: { token: session.token },
          // ws, keeping the relay's reason for a refused upgrade (relay-errors.ts).
          WebSocketPolyfill: RelaySocket as unknown as typeof globalThis.WebSocket,
          // Several cores can live in one process (tests): never talk around the relay.
          disableBc: true,
          maxBackoffTime: this.options.maxBackoffMs ?? 5_000,
          // 1009: a change over the relay's frame limit; resending it at once would only repeat.
          shouldReconnect: (event) =>
            link.refused === null &&
            !(event.code >= 4400 && event.code < 4500) &&
            event.code !== RELAY_CLOSE.changeTooLarge,
        },
      ),
    }
    const { provider } = link
    if (replica.doc) this.attach(provider, replica.shell, replica.doc)
    this.answerSyncRequests(provider, name)
    this.watchSilence(link)
    provider.on('status', ({ status }) => {
      // The socket's open sends sync step 1 from provider.doc: the real state vector, not the
      // shell's empty one (which would fetch the whole document again).
      if (status === 'connecting' && replica.doc === null && !this.destroyed)
        this.wake(replica, 'connecting')
      link.connected = status === 'connected'
      if (link.connected) link.failed = false
      this.armSilence(link)
      this.recompute()
    })
    provider.on('sync', (synced) => {
      link.synced = synced
      this.recompute()
    })
    provider.on('connection-error', (event) => {
      const problem = describeConnectionError(event, session.relayUrl)
      if (problem.kind === 'refused') {
        link.refused = problem.message
        link.refusedProblem = problem.problem
      }
      this.setError(problem.message, problem.problem)
    })
    provider.on('connection-close', (event) => {
      link.connected = false
      link.synced = false
      // A close we initiated (event null: watchdog or disconnect) is not a failure.
      if (event !== null) link.failed = true
      this.recompute()
    })
    provider.on('closed', ({ code, reason }) => {
      const terminal = describeTerminalClose(code, reason)
      const message = link.refused ?? terminal.message
      const problem = link.refusedProblem ?? terminal.problem
      link.refused = message
      link.refusedProblem = problem
      if (CHANGE_REFUSED_CODES.has(code)) link.changeRefused = true
      this.options.log?.(`sync ${name}: stopped, ${message}`)
      this.setError(message, problem)
      this.scheduleRefusedRetry()
    })
    return link
  }

  /**
   * y-websocket's watchdog wakes every 3 s per provider, idle or not. Instead: one timeout per
   * link, re-armed by each message received, so a healthy idle link (heartbeats) fires no timer.
   * It closes the socket as y-websocket's watchdog does (its onclose with no event: a close we
   * initiated, reconnected with backoff).
   */
  private watchSilence(link: Link): void {
    const { provider } = link
    clearInterval(
      (provider as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval,
    )
    const handlers = provider.messageHandlers
    handlers.forEach((handler, type) => {
      if (!handler) return
      handlers[type] = (encoder, decoder, from, emitSynced, messageType) => {
        this.armSilence(link)
        handler(encoder, decoder, from, emitSynced, messageType)
      }
    })
    this.lifecycle.add(toDisposable(() => this.disarmSilence(link)))
  }

  private armSilence(link: Link): void {
    this.disarmSilence(link)
    if (this.destroyed || !link.provider.wsconnected) return
    link.silence = this.clock.setTimeout(() => {
      link.silence = null
      const ws = link.provider.ws
      if (!link.provider.wsconnected || !ws) return
      this.options.log?.(`sync ${link.doc}: nothing from the relay in a while; reconnecting`)
      ws.onclose?.call(ws, null as unknown as CloseEvent)
    }, this.options.silenceTimeoutMs ?? SILENCE_TIMEOUT_MS)
  }

  private disarmSilence(link: Link): void {
    void link.silence?.dispose()
    link.silence = null
  }

  /**
   * Awareness renews its own state and expires others' on a 3 s interval. The core publishes no
   * state of its own (null), so only others' states (relay peers, windows) need expiring: one
   * timeout to the earliest expiry, armed only while there are such states.
   */
  private expireRemoteStates(aw: Awareness): void {
    clearInterval(
      (aw as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval,
    )
    let timer: Disposable | null = null
    const arm = () => {
      if (timer || this.destroyed) return
      let earliest = Number.POSITIVE_INFINITY
      for (const [client, meta] of aw.meta)
        if (client !== aw.clientID && aw.states.has(client))
          earliest = Math.min(earliest, meta.lastUpdated + outdatedTimeout)
      if (earliest === Number.POSITIVE_INFINITY) return
      timer = this.clock.setTimeout(expire, Math.max(0, earliest - Date.now()))
    }
    const expire = () => {
      timer = null
      const now = Date.now()
      const outdated: number[] = []
      for (const [client, meta] of aw.meta)
        if (
          client !== aw.clientID &&
          aw.states.has(client) &&
          outdatedTimeout <= now - meta.lastUpdated
        )
          outdated.push(client)
      if (outdated.length > 0) removeAwarenessStates(aw, outdated, 'timeout')
      arm()
    }
    aw.on('update', arm)
    this.lifecycle.add(
      toDisposable(() => {
        void timer?.dispose()
        timer = null
      }),
    )
  }

  /**
   * The relay's sync step 1 asks for everything it lacks. After a long offline stretch that may
   * be more than its frame limit even though every change fitted on its own: one sync step 2
   * would be closed (1009) and the offline work would never leave this device. Such an answer is
   * sent as several updates that each fit, in an order the relay can integrate one by one, then
   * the delete set as the step 2 (which tells the relay the answer is complete). The usual small
   * answer is written exactly as y-protocols does, from the same single encoding.
   */
  private answerSyncRequests(provider: WebsocketProvider, name: DocName): void {
    const handlers = provider.messageHandlers
    const standard = handlers[messageSync]
    if (!standard) return
    const replica = this.replicas[name]
    handlers[messageSync] = (encoder, decoder, from, emitSynced, messageType) => {
      // What the relay sends is applied to, or answered from, the whole replica.
      if (replica.doc === null && !this.destroyed) this.wake(replica, 'relay')
      if (decoding.peekVarUint(decoder) !== syncProtocol.messageYjsSyncStep1) {
        standard(encoder, decoder, from, emitSynced, messageType)
        return
      }
      decoding.readVarUint(decoder)
      const stateVector = decoding.readVarUint8Array(decoder)
      const update = Y.encodeStateAsUpdate(from.doc, stateVector)
      const whole = () => {
        encoding.writeVarUint(encoder, messageSync)
        encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2)
        encoding.writeVarUint8Array(encoder, update)
      }
      if (update.byteLength <= MAX_CHANGE_BYTES) {
        whole()
        return
      }
      let split: ReturnType<typeof splitUpdate>
      try {
        split = splitUpdate(update, stateVector, MAX_CHANGE_BYTES, from.doc)
      } catch (error) {
        // Not expected from a replica's own encoding; the one step 2 is what y-protocols sends.
        this.options.log?.(
          `sync ${name}: could not split the answer (${String(error)}); sent whole`,
        )
        whole()
        return
      }
      const { structs, deletes } = split
      // Nothing is written to `encoder`: y-websocket sends it only when it holds more than a byte.
      const ws = from.ws
      if (!ws) return
      const frame = (type: number, payload: Uint8Array) => {
        const out = encoding.createEncoder()
        encoding.writeVarUint(out, messageSync)
        encoding.writeVarUint(out, type)
        encoding.writeVarUint8Array(out, payload)
        return encoding.toUint8Array(out)
      }
      for (const part of structs) ws.send(frame(syncProtocol.messageYjsUpdate, part))
      ws.send(frame(syncProtocol.messageYjsSyncStep2, deletes))
      this.options.log?.(
        `sync ${name}: ${update.byteLength} bytes the relay lacked sent as ${structs.length} updates and the delete set`,
      )
    }
  }

  /** A refused token will not become valid by hammering the relay: try again much later. */
  private scheduleRefusedRetry(): void {
    if (this.refusedTimer.value || this.destroyed) return
    this.refusedTimer.value = this.clock.setTimeout(
      () => {
        this.refusedTimer.clear()
        if (this.destroyed) return
        for (const link of this.links) {
          link.refused = null
          link.refusedProblem = null
          if (!this.paused && !this.storagePaused) link.provider.connect()
        }
        this.recompute()
      },
      this.options.refusedRetryMs ?? 5 * 60_000,
    )
  }

  private setError(message: string, problem: Problem): void {
    // A refusal is recorded just before this call, possibly with the same message as before.
    if (this.current.lastError !== message) {
      this.current = { ...this.current, lastError: message, problem }
      this.options.onStatus?.(this.current)
    }
    this.settle()
  }

  private recompute(): void {
    if (this.destroyed) return
    let sync: SyncState
    if (this.links.length > 0 && this.links.every((link) => link.synced)) sync = 'synced'
    else if (
      this.paused ||
      this.storagePaused ||
      this.isRefused() ||
      this.links.some((link) => link.failed && !link.connected)
    )
      sync = 'offline'
    else sync = 'connecting'
    const lastError = sync === 'synced' ? null : this.current.lastError
    const problem = sync === 'synced' ? null : this.current.problem
    if (sync !== this.current.sync || lastError !== this.current.lastError) {
      this.options.log?.(`sync: ${sync}${lastError ? ` (${lastError})` : ''}`)
      this.current = { sync, lastError, problem }
      this.options.onStatus?.(this.current)
    }
    this.settle()
  }
}
