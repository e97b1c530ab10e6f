import * as z from 'zod/mini'
import type { CoreStatus } from '../../common/contract/api'
import type { Transport } from '../../common/contract/client'
import { queueForMe } from './queue/for-me'
import { ShareStore } from './shares/share-store'
import type { Db } from './store/database'
import { QueueTable } from './store/queue-table'

/**
 * The windows' first screen before anything of the contract loads (start.ts): zod/mini, SQLite,
 * the queue table and the ranking — no contract schema built, no model, no i18n. It answers
 *  - `status.get` and `settings.get` with the answers the first screen stored last time
 *    (first-screen.ts storeFirstScreenAnswers, validated then; a write to the session, the
 *    settings or the projected facts deletes them, migration 12), when this build wrote them;
 *  - `queue.forMe` with a limit, ranked from the queue table's columns as the core ranks it
 *    (queue/for-me.ts), for the member the stored status names.
 * Params are validated (zod/mini, a subset of what the contract accepts, same output); results
 * are not validated again (read from validated rows, as the core's table reads are). Anything
 * else — another method, other params, no stored answer, a frame after one it passed on — goes
 * to `pass`, in order: the full first screen (first-screen.ts) answers it or holds it for the core.
 */

/** The build that wrote a stored answer must be the one reading it (its shapes may differ). */
declare const __PORTE_VOIX_BUILD__: string | undefined
export const FIRST_SCREEN_BUILD =
  typeof __PORTE_VOIX_BUILD__ === 'string' ? __PORTE_VOIX_BUILD__ : 'source'

// The contract's params (common/contract/api.ts) for what the popover sends; strict, so that any
// other key (a filter, a typo the contract would strip) goes to the full first screen.
const QuickParams = {
  'status.get': z.strictObject({}),
  'settings.get': z.strictObject({}),
  'queue.forMe': z.strictObject({
    limit: z.number().check(z.int(), z.positive(), z.maximum(10_000)),
  }),
} as const
export type QuickMethod = keyof typeof QuickParams
export const QUICK_METHODS = Object.keys(QuickParams) as QuickMethod[]

/** Frames of one window and where its frames go from now on. */
type Window = { transport: Transport; passing: boolean }

export class QuickFirstScreen {
  private readonly selectAnswer
  private readonly queue: QueueTable
  private readonly shares: ShareStore
  private readonly windows = new Set<Window>()
  /** Frames passed on before the full first screen was there, per window. */
  private readonly passed = new Map<Window, string[]>()

  constructor(
    db: Db,
    private readonly options: {
      log: (line: string) => void
      now: () => Date
      build?: string
      /** A request was answered here (the start trace). */
      answered: (method: QuickMethod) => void
      /** A frame must go to the full first screen: load it (start.ts). */
      needFull: () => void
    },
  ) {
    this.selectAnswer = db.prepare<[string, string], { json: string }>(
      'SELECT json FROM first_screen WHERE method = ? AND build = ?',
    )
    this.queue = new QueueTable(db)
    this.shares = new ShareStore(db)
  }

  attach(transport: Transport): void {
    const window: Window = { transport, passing: false }
    this.windows.add(window)
    transport.onMessage((text) => {
      if (!this.windows.has(window)) return
      if (!window.passing) {
        const answer = this.answer(text)
        if (answer) {
          transport.send(answer.text)
          this.options.answered(answer.method)
          return
        }
        window.passing = true
      }
      this.pass(window, text)
    })
    transport.onClose(() => {
      this.windows.delete(window)
      this.passed.delete(window)
    })
  }

  /**
   * The full first screen is loaded: every window goes to it from now on (frames it was passed
   * first), and this one serves no more. `attach` gets a transport whose frames are the window's
   * from here on.
   */
  handOver(attach: (transport: Transport, frames: readonly string[]) => void): void {
    for (const window of this.windows) {
      const frames = this.passed.get(window) ?? []
      window.passing = true
      attach(window.transport, frames)
    }
    this.windows.clear()
    this.passed.clear()
  }

  private pass(window: Window, text: string): void {
    const frames = this.passed.get(window) ?? []
    frames.push(text)
    this.passed.set(window, frames)
    this.options.needFull()
  }

  /** The answer's frame, or null when this request is not one answered here. */
  private answer(text: string): { method: QuickMethod; text: string } | null {
    const frame = requestFrame(text)
    if (!frame || !Object.hasOwn(QuickParams, frame.method)) return null
    const quick = frame.method as QuickMethod
    const result = this.result(quick, frame.params ?? {})
    if (result === null) return null
    return { method: quick, text: `{"t":"res","id":${frame.id},"ok":true,"result":${result}}` }
  }

  /** The result's JSON, or null (passed on). */
  private result(method: QuickMethod, params: unknown): string | null {
    const build = this.options.build ?? FIRST_SCREEN_BUILD
    try {
      if (method === 'settings.get') {
        if (!QuickParams[method].safeParse(params).success) return null
        return this.selectAnswer.get(method, build)?.json ?? null
      }
      if (method === 'status.get') {
        if (!QuickParams[method].safeParse(params).success) return null
        return this.selectAnswer.get(method, build)?.json ?? null
      }
      const parsed = QuickParams[method].safeParse(params)
      if (!parsed.success) return null
      // Whose queue: the stored status's session (none: the full first screen refuses).
      const status = this.selectAnswer.get('status.get', build)?.json
      if (status === undefined) return null
      const session = (JSON.parse(status) as CoreStatus).session
      if (!session || !this.queue.campaignsProjected()) return null
      const entries = queueForMe(
        {
          queue: this.queue,
          shared: this.shares.sharedNetworks(session.workspaceId),
          memberId: session.memberId,
        },
        { limit: parsed.data.limit },
        this.options.now(),
      )
      return JSON.stringify(entries)
    } catch (error) {
      // Whatever went wrong here, the full first screen answers (or says what is wrong).
      this.options.log(`first screen (quick): ${String(error)}`)
      return null
    }
  }
}

/**
 * A window's contract request (`{"t":"req","id":…,"method":…}`), or null for any other frame:
 * what the first screen's answerers (here, and first-screen.ts) look at before the contract's
 * own parsing is loaded.
 */
export function requestFrame(text: string): { id: number; method: string; params: unknown } | null {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof json !== 'object' || json === null) return null
  const { t, id, method, params } = json as Record<string, unknown>
  if (t !== 'req' || typeof id !== 'number' || !Number.isSafeInteger(id)) return null
  if (typeof method !== 'string') return null
  return { id, method, params }
}
