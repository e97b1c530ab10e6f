import type { z } from 'zod'
import { type CoreStatus, type Methods, methods, type Result } from '../../common/contract/api'
import type { Transport } from '../../common/contract/client'
import { ContractError } from '../../common/contract/messages'
import { dispatch } from './api/dispatch'
import type { Core } from './core'
import { FIRST_SCREEN_BUILD, requestFrame } from './first-screen-quick'
import { queueForMe } from './queue/for-me'
import { ShareStore } from './shares/share-store'
import type { StoreTables } from './store/tables'

/**
 * The windows' first screen while the core itself is still loading (start.ts): `status.get`,
 * `settings.get` and `queue.forMe` answered from SQLite alone (the items, the campaigns and my
 * shares are tables), with the contract's validation, by a module that loads none of the core's
 * services, Yjs or sync. Any other frame — or one of these once another waits — is held, and
 * handed to the core in order once it is open (handOver); from then on the core serves the
 * window as if it had been attached from the start.
 */
type Context = { store: StoreTables; shares: ShareStore; now: () => Date }

type FirstMethod = 'status.get' | 'settings.get' | 'queue.forMe'

const handlers: {
  [M in FirstMethod]: (ctx: Context, params: z.output<Methods[M]['params']>) => Result<M>
} = {
  'status.get': (ctx) => startingStatus(ctx.store),
  'settings.get': (ctx) => ctx.store.settings.get(),
  'queue.forMe': (ctx, filter) => {
    const session = ctx.store.session.get()
    if (!session) {
      throw new ContractError('not_joined', 'Join a workspace first (paste your invitation link)')
    }
    const source = {
      queue: ctx.store.queue,
      shared: ctx.shares.sharedNetworks(session.claims.ws),
      memberId: session.claims.sub,
    }
    return queueForMe(source, filter, ctx.now())
  },
}
const FIRST_METHODS = Object.keys(handlers) as FirstMethod[]
function isFirstMethod(method: unknown): method is FirstMethod {
  return typeof method === 'string' && Object.hasOwn(handlers, method)
}

/** What the status says before the replicas load: the stored session, about to connect. */
export function startingStatus(store: StoreTables): CoreStatus {
  const session = store.session.get()
  return {
    session: session
      ? {
          workspaceId: session.claims.ws,
          workspaceName: store.queue.workspaceName(),
          memberId: session.claims.sub,
          displayName: session.claims.name,
          role: session.claims.role,
          relayUrl: session.relayUrl,
        }
      : null,
    sync: session ? 'connecting' : 'offline',
    // Nothing was written yet (the document log comes with the core).
    lastError: null,
    problem: null,
  }
}

/**
 * Store `status.get` and `settings.get` as this first screen answers them now, validated against
 * the contract, for the next start's quick first screen (first-screen-quick.ts). Read and written
 * in one transaction: a write to their inputs after it deletes them again (migration 12).
 */
export function storeFirstScreenAnswers(store: StoreTables, build = FIRST_SCREEN_BUILD): void {
  const upsert = store.db.prepare<[string, string, string]>(
    `INSERT INTO first_screen (method, build, json) VALUES (?, ?, ?)
     ON CONFLICT (method) DO UPDATE SET build = excluded.build, json = excluded.json
     WHERE first_screen.build IS NOT excluded.build OR first_screen.json IS NOT excluded.json`,
  )
  store.db.transaction(() => {
    const answers = {
      'status.get': methods['status.get'].result.safeParse(startingStatus(store)),
      'settings.get': methods['settings.get'].result.safeParse(store.settings.get()),
    }
    for (const [method, parsed] of Object.entries(answers)) {
      if (parsed.success) upsert.run(method, build, JSON.stringify(parsed.data))
    }
  })()
}

type Early = {
  transport: Transport
  /** Frames for the core, in order (null once handed over). */
  held: string[] | null
  /** The core's connection's listeners, once handed over. */
  listeners: ((text: string) => void)[]
  closed: boolean
}

export class FirstScreen {
  private readonly windows = new Set<Early>()
  private readonly ctx: Context
  private core: Core | null = null
  /** The first screen's methods answered at least once, by any window. */
  private readonly answeredOnce = new Set<FirstMethod>()

  constructor(
    store: StoreTables,
    private readonly options: {
      log: (line: string) => void
      /** The core is needed now: a frame is held, or the first screen's answers went out. */
      needCore: () => void
      /** A request was answered from SQLite (the start trace, once per method). */
      answered?: (method: string) => void
      now?: () => Date
    },
  ) {
    this.ctx = { store, shares: new ShareStore(store.db), now: options.now ?? (() => new Date()) }
  }

  /** Serve a window: the first screen at once, the rest once the core is open. */
  attach(transport: Transport): void {
    if (this.core) {
      this.core.attach(transport)
      return
    }
    const early: Early = { transport, held: [], listeners: [], closed: false }
    this.windows.add(early)
    transport.onMessage((text) => {
      if (early.held === null) {
        for (const listener of early.listeners) listener(text)
        return
      }
      const request = firstRequest(text)
      // A table from before the campaigns were projected cannot rank alone: the core will.
      const answerable =
        request !== null &&
        (request.method !== 'queue.forMe' || this.ctx.store.queue.campaignsProjected())
      if (early.held.length > 0 || !request || !answerable) {
        this.hold(early, text)
        return
      }
      void dispatch(handlers, this.ctx, request, this.options.log).then(
        (answer) => {
          if (early.closed) return
          try {
            transport.send(JSON.stringify(answer))
          } catch (error) {
            this.options.log(`first screen: send failed: ${String(error)}`)
          }
          this.options.answered?.(request.method)
          this.firstScreenOut(request.method)
        },
        (error: unknown) => this.options.log(`first screen: ${String(error)}`),
      )
    })
    transport.onClose(() => {
      early.closed = true
      this.windows.delete(early)
    })
  }

  /** The core is open: every window still here is its from now on, held frames first. */
  handOver(core: Core): void {
    this.core = core
    for (const early of this.windows) {
      const held = early.held ?? []
      early.held = null
      const connection = core.attach({
        send: (text) => early.transport.send(text),
        onMessage: (listener) => early.listeners.push(listener),
        onClose: (listener) => early.transport.onClose(listener),
      })
      // What it was told came from SQLite; the core's status may say more (a token problem).
      connection.emit('status', core.status())
      for (const text of held) for (const listener of early.listeners) listener(text)
    }
    this.windows.clear()
  }

  /**
   * Once the first screen's three methods have all been answered (the popover sends them
   * together), the core loads, in a later macrotask: its import compiles ~0.8 MB on this event
   * loop, and nothing of the first screen (a window's WebSocket accept, its other answers) must
   * wait behind it. A window that asks fewer is served by the start's timer (start.ts).
   */
  private firstScreenOut(method: FirstMethod): void {
    if (this.answeredOnce.size === FIRST_METHODS.length) return
    this.answeredOnce.add(method)
    if (this.answeredOnce.size === FIRST_METHODS.length) setImmediate(() => this.options.needCore())
  }

  private hold(early: Early, text: string): void {
    if (early.held === null) {
      for (const listener of early.listeners) listener(text)
      return
    }
    early.held.push(text)
    this.options.needCore()
  }
}

/** A request for one of the first screen's methods, else null (held for the core). */
function firstRequest(text: string): { id: number; method: FirstMethod; params: unknown } | null {
  const frame = requestFrame(text)
  if (!frame || !isFirstMethod(frame.method)) return null
  return { id: frame.id, method: frame.method, params: frame.params }
}
