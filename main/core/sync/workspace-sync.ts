import { Awareness } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { SyncState } from '../../../common/contract/api'
import type { Problem } from '../../../common/contract/problems'
import { RELAY_CLOSE } from '../../../common/doc/limits'
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
import type { DocLog } from '../store/doc-log'
import type { StoredSession } from '../store/session'
import { describeConnectionError, describeTerminalClose, RelaySocket } from './relay-errors'

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
  log?: (line: string) => void
}

/** Origin of updates replayed from SQLite at start: already stored, not to be appended again. */
export const LOADED_FROM_STORE = Symbol('loaded-from-store')

type Link = {
  doc: DocName
  provider: WebsocketProvider
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
  readonly docs: Record<DocName, Y.Doc>
  readonly awareness: Record<DocName, Awareness>
  private readonly links: Link[] = []
  private current: SyncStatus = { sync: 'connecting', lastError: null, problem: null }
  /** Everything this sync holds; destroy() disposes it (providers, replicas, timers). */
  private readonly lifecycle = new DisposableStore()
  private readonly refusedTimer = this.lifecycle.add(new MutableDisposable())
  private readonly clock: Clock
  /** waitForSync callers, told after every change of state (see settle). */
  private readonly waiters = new Set<() => void>()
  private settleScheduled = false
  private destroyed = false
  private paused = false

  constructor(private readonly options: WorkspaceSyncOptions) {
    const { session, docLog } = options
    this.clock = options.clock ?? new SystemClock()
    const workspaceId = session.claims.ws
    const docs = {} as Record<DocName, Y.Doc>
    const awareness = {} as Record<DocName, Awareness>
    for (const name of DOC_NAMES) {
      const key = roomName(workspaceId, name)
      const doc = new Y.Doc()
      // A document the role may not hold (curation, for an employee) is never synced or stored;
      // one left from an earlier role on this device is erased. It stays an empty replica.
      const held = accessFor(name, session.claims.role) !== 'none'
      if (held) docLog.loadInto(key, doc, LOADED_FROM_STORE)
      else docLog.remove(key)
      // Registered before the provider's own listener: Yjs calls 'update' listeners in order.
      doc.on('update', (update: Uint8Array, origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
        if (!held) return
        if (origin !== LOADED_FROM_STORE) docLog.append(key, update)
        try {
          options.onUpdate?.(name, update, origin, tr)
        } catch (error) {
          // A throw out of an 'update' listener leaves Yjs emitting no more updates for this doc
          // (nothing logged, sent or shown after it). What failed is derived (the queue table,
          // with the disk full): the doc log replays it, in order, once writes work again.
          docLog.failedDerived(error, () => options.onUpdate?.(name, update, origin, tr))
          options.log?.(
            `sync: could not derive "${name}" (${String(error)}); redone when storage works`,
          )
        }
      })
      docs[name] = doc
      const aw = new Awareness(doc)
      // The core is not a person: windows publish their own presence through it.
      aw.setLocalState(null)
      awareness[name] = aw
    }
    this.docs = docs
    this.awareness = awareness
    // Replicas go last (registered first): providers are destroyed before the docs they sync.
    for (const name of DOC_NAMES) {
      this.lifecycle.add(
        toDisposable(() => {
          this.awareness[name].destroy()
          this.docs[name].destroy()
        }),
      )
    }
    for (const name of DOC_NAMES) {
      if (this.access(name) === 'none') continue
      const link = this.link(name)
      this.links.push(link)
      this.lifecycle.add(toDisposable(() => link.provider.destroy()))
    }
    for (const link of this.links) link.provider.connect()
    this.recompute()
  }

  get status(): SyncStatus {
    return this.current
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
      if (this.paused) continue
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
        link.provider.connect()
      } else link.provider.disconnect()
    }
    this.recompute()
  }

  /** Stop syncing; replicas stay readable until destroy(). */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
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
    const doc = this.docs[name]
    const link: Link = {
      doc: name,
      connected: false,
      synced: false,
      failed: false,
      refused: null,
      refusedProblem: null,
      changeRefused: false,
      provider: new WebsocketProvider(session.relayUrl, roomName(session.claims.ws, name), doc, {
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
      }),
    }
    const { provider } = link
    provider.on('status', ({ status }) => {
      link.connected = status === 'connected'
      if (link.connected) link.failed = false
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
          link.provider.connect()
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
