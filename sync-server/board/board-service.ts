import type * as Y from 'yjs'
import { boardMap, pruneKeys, putIfChanged } from '../../common/doc/board-doc'
import { setHistoryGeneration } from '../../common/doc/curation-doc'
import { readChallenges, readWorkspaceSettings } from '../../common/doc/queue-doc'
import { newId } from '../../common/model/ids'
import type { Logger } from '../log'
import type { WorkspaceStore } from '../persistence/workspace-store'
import type { RoomManager } from '../rooms/room-manager'
import type { BoardContent, BoardSource } from './aggregate'
import { BoardState } from './counters'

/** Default lag of the board behind a new share, click or conversion. */
export const BOARD_DEBOUNCE_MS = 2_000

export type BoardServiceOptions = {
  /** The tables the board is computed from (SQLite or PostgreSQL). */
  source: BoardSource
  rooms: RoomManager
  workspaces: WorkspaceStore
  log: Logger
  /** Rebuild at most this long after the first change since the last rebuild. */
  debounceMs?: number
  now?: () => Date
  /**
   * After a rebuild folded the board's stored history (a member left it: opted out or erased):
   * the relay makes the backend's files forget the folded rows (the erasure's purge). The fold
   * can land after the erasure's own purge (it waits for the debounce), and on SQLite its writes
   * put page images still holding the old rows in the WAL, where they stay until it is truncated.
   */
  onHistoryFolded?: () => Promise<void>
}

type Pending = { timer: NodeJS.Timeout | null; running: Promise<void> | null; again: boolean }

/**
 * The relay's `board` writer (issue 9, point 5). Share reports, clicks, conversions, opt-in
 * changes and queue edits call touch(workspace); the board is rebuilt from the tables once per
 * window (a throttle, not a sliding debounce: a steady stream of clicks cannot postpone it), and
 * only entries that changed are written. A click only marks its workspace: the redirect never
 * waits for the board.
 */
export class BoardService {
  readonly #o: BoardServiceOptions
  readonly #pending = new Map<string, Pending>()
  /** How long each workspace's last aggregate took (see touch). */
  readonly #lastMs = new Map<string, number>()
  /** Each workspace's running counters, moved by the rows added since (board/counters.ts). */
  readonly #states = new Map<string, BoardState>()
  /** One run at a time per workspace: two runs counting one delta would count it twice. */
  readonly #runs = new Map<string, Promise<void>>()
  readonly #stats = { full: 0, delta: 0 }
  #closed = false

  constructor(options: BoardServiceOptions) {
    this.#o = options
  }

  touch(workspaceId: string): void {
    if (this.#closed) return
    let pending = this.#pending.get(workspaceId)
    if (!pending) {
      pending = { timer: null, running: null, again: false }
      this.#pending.set(workspaceId, pending)
    }
    if (pending.running) {
      pending.again = true
      return
    }
    if (pending.timer) return
    const entry = pending
    // A rebuild runs on the event loop (redirects wait meanwhile): however long it took last
    // time, it takes at most a fifth of the loop, the board falling further behind instead.
    const lastMs = this.#lastMs.get(workspaceId) ?? 0
    entry.timer = setTimeout(
      () => this.#run(workspaceId, entry),
      Math.max(this.#o.debounceMs ?? BOARD_DEBOUNCE_MS, 4 * lastMs),
    )
    entry.timer.unref()
  }

  /** Every workspace (a member was deleted: their rows leave every board). */
  touchAll(): void {
    this.#o.workspaces.listWorkspaces().then(
      (list) => {
        for (const workspace of list) this.touch(workspace.id)
      },
      (error: unknown) =>
        this.#o.log.error('board rebuild failed', { error: (error as Error).message }),
    )
  }

  /** Rebuild now and resolve once written (tests, and a close that flushes). */
  async rebuildNow(workspaceId: string): Promise<void> {
    await this.#serial(workspaceId)
  }

  /** How many runs read every row (start, a generation change) and how many counted on. */
  stats(): { full: number; delta: number } {
    return { ...this.#stats }
  }

  #serial(workspaceId: string): Promise<void> {
    const previous = this.#runs.get(workspaceId) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(() => this.#rebuild(workspaceId))
    const settled = run.catch(() => {})
    this.#runs.set(workspaceId, settled)
    void settled.then(() => {
      if (this.#runs.get(workspaceId) === settled) this.#runs.delete(workspaceId)
    })
    return run
  }

  /** Resolves once no rebuild is scheduled or running. */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.#pending.values()].filter((p) => p.timer || p.running)
      if (busy.length === 0) return
      await Promise.all(busy.map((p) => p.running ?? new Promise((r) => setTimeout(r, 10))))
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const pending of this.#pending.values()) {
      if (pending.timer) clearTimeout(pending.timer)
      pending.timer = null
    }
    await Promise.all([...this.#pending.values()].map((p) => p.running))
  }

  #timed<T>(workspaceId: string, started: number, fn: () => T): T {
    try {
      return fn()
    } finally {
      this.#lastMs.set(workspaceId, performance.now() - started)
    }
  }

  #run(workspaceId: string, pending: Pending): void {
    pending.timer = null
    if (this.#closed) return
    pending.running = this.#serial(workspaceId)
      .catch((error: unknown) =>
        this.#o.log.error('board rebuild failed', {
          workspace: workspaceId,
          error: (error as Error).message,
        }),
      )
      .finally(() => {
        pending.running = null
        if (pending.again) {
          pending.again = false
          this.touch(workspaceId)
        } else this.#pending.delete(workspaceId)
      })
  }

  async #rebuild(workspaceId: string): Promise<void> {
    const { rooms, workspaces, source, log } = this.#o
    if (!(await workspaces.getWorkspace(workspaceId))) return
    const { settings, challenges } = await rooms.with({ workspaceId, doc: 'queue' }, (room) => ({
      settings: readWorkspaceSettings(room.doc),
      challenges: readChallenges(room.doc).challenges,
    }))
    const now = this.#o.now?.() ?? new Date()
    const started = performance.now()
    const { state, optedIn } = await this.#count(workspaceId, source)
    // Opted-in members' names, read before the (synchronous) standings.
    const names = new Map<string, string>()
    for (const record of await Promise.all(optedIn.map((id) => workspaces.getMemberRecord(id))))
      if (record && record.workspaceId === workspaceId && record.removedAt === null)
        names.set(record.id, record.displayName)
    const content = this.#timed(workspaceId, started, () =>
      state.content({
        weights: settings.points,
        challenges,
        memberName: (id) => names.get(id) ?? null,
        now,
      }),
    )
    let folded = false
    await rooms.with({ workspaceId, doc: 'board' }, async (room) => {
      const before = membersOnBoard(room.doc)
      if (!differs(room.doc, content)) return
      await room.changeByRelay((doc) => write(doc, content, now))
      const after = membersOnBoard(room.doc)
      const left = [...before].filter((id) => !after.has(id))
      // A member who opted out (or was deleted) leaves the stored history too, not only the
      // current state: the updates that named them are folded away at once (gc on).
      // A new history generation tells cores to fold their stored copies too (issue 8.13).
      if (left.length > 0) {
        await room.changeByRelay((doc) => setHistoryGeneration(doc, newId('gen')))
        await room.compact('periodic')
        folded = true
      }
      log.info('board updated', {
        workspace: workspaceId,
        left: left.length,
        ms: Math.round(performance.now() - started),
      })
    })
    if (folded)
      await this.#o
        .onHistoryFolded?.()
        .catch((error: unknown) =>
          log.error('purge after the board fold failed', { error: (error as Error).message }),
        )
  }

  /**
   * The workspace's counters moved by the rows added since they were last read, or rebuilt from
   * every row when there are none yet (start) or the generation moved (a deletion, an erasure, a
   * link_items fact changed): a click costs reading that click, not every click of the workspace.
   */
  async #count(
    workspaceId: string,
    source: BoardSource,
  ): Promise<{ state: BoardState; optedIn: readonly string[] }> {
    const held = this.#states.get(workspaceId)
    if (held) {
      const delta = await source.boardDelta(workspaceId, held.cursor)
      if (delta) {
        try {
          held.apply(delta)
        } catch (error) {
          // Half counted: rebuild next time rather than show wrong counts from now on.
          this.#states.delete(workspaceId)
          throw error
        }
        this.#stats.delta++
        return { state: held, optedIn: delta.optedIn }
      }
    }
    this.#states.delete(workspaceId)
    const rows = await source.boardRows(workspaceId)
    const state = BoardState.fromRows(rows)
    this.#states.set(workspaceId, state)
    this.#stats.full++
    return { state, optedIn: rows.optedIn }
  }
}

function membersOnBoard(d: Y.Doc): Set<string> {
  const ids = new Set<string>()
  const collect = (rows: unknown) => {
    if (!Array.isArray(rows)) return
    for (const row of rows) {
      const id = (row as { memberId?: unknown } | null)?.memberId
      if (typeof id === 'string') ids.add(id)
    }
  }
  collect(boardMap(d, 'leaderboard').get('rows'))
  for (const value of boardMap(d, 'challenges').values())
    collect((value as { standings?: unknown } | null)?.standings)
  return ids
}

type Entries = [string, unknown][]

function sections(content: BoardContent): [Parameters<typeof boardMap>[1], Entries][] {
  return [
    ['items', [...content.items]],
    ['networks', [...content.networks]],
    ['objectives', [...content.objectives]],
    ['sourceKinds', [...content.sourceKinds]],
    ['campaigns', [...content.campaigns]],
    ['clickCurve', [...content.clickCurve]],
    [
      'leaderboard',
      [
        ['month', content.leaderboard.month],
        ['rows', content.leaderboard.rows],
      ],
    ],
    ['challenges', [...content.challenges]],
  ]
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** Whether writing `content` would change anything (no empty transactions every few seconds). */
function differs(d: Y.Doc, content: BoardContent): boolean {
  for (const [name, entries] of sections(content)) {
    const map = boardMap(d, name)
    if (map.size !== entries.length) return true
    for (const [key, value] of entries) if (!same(map.get(key), value)) return true
  }
  return false
}

function write(d: Y.Doc, content: BoardContent, now: Date): void {
  for (const [name, entries] of sections(content)) {
    const map = boardMap(d, name)
    for (const [key, value] of entries) putIfChanged(map, key, value)
    pruneKeys(map, new Set(entries.map(([key]) => key)))
  }
  boardMap(d, 'meta').set('updatedAt', now.toISOString())
}
