import { challengesMap, settingsMap } from '../../common/doc/queue-doc'
import type { RoomRef } from '../../common/doc/rooms'
import type { LinkStore } from '../links/link-store'
import type { ResultsStore } from '../links/results-store'
import type { Counter } from '../metrics/metrics'
import type { ShareStore } from '../persistence/share-store'
import type { Room } from '../rooms/room'
import type { StorePayload } from '../storage/types'
import type { BoardService } from './board-service'

/**
 * Marks a workspace's board stale after each write that changes what it shows: a share report,
 * a click, a conversion, an opt-in or opt-out. Wrapping the stores (as instrumentAppend wraps the
 * doc store) keeps every current and future caller covered without each route remembering it.
 */
export function touchBoardOnWrites(
  board: BoardService,
  stores: { shares: ShareStore; links: LinkStore; results: ResultsStore },
): void {
  const { shares, links, results } = stores
  const record = shares.record.bind(shares)
  shares.record = (workspaceId, events, receivedAt) =>
    afterWrite(record(workspaceId, events, receivedAt), () => board.touch(workspaceId))
  const recordClick = links.recordClick.bind(links)
  links.recordClick = (click) =>
    afterWrite(recordClick(click), () => board.touch(click.workspaceId))
  // The queue's items reach the board through link_items (objective, campaign, source kind):
  // the indexer writes only rows that changed, so only such a change rebuilds the board.
  const putTargets = links.putTargets.bind(links)
  links.putTargets = (workspaceId, targets) =>
    afterWrite(putTargets(workspaceId, targets), (written) => {
      if (written > 0) board.touch(workspaceId)
    })
  const recordConversion = results.recordConversion.bind(results)
  results.recordConversion = (scope, input, at) =>
    afterWrite(recordConversion(scope, input, at), (result) => {
      if (result.counted) board.touch(scope.workspaceId)
    })
  const optIn = results.optIn.bind(results)
  results.optIn = (workspaceId, memberId, list, at) =>
    afterWrite(optIn(workspaceId, memberId, list, at), () => board.touch(workspaceId))
  const optOut = results.optOut.bind(results)
  results.optOut = (workspaceId, memberId) =>
    afterWrite(optOut(workspaceId, memberId), () => board.touch(workspaceId))
  const linkIfOptedIn = results.linkIfOptedIn.bind(results)
  results.linkIfOptedIn = (workspaceId, memberId, shareIds) =>
    afterWrite(linkIfOptedIn(workspaceId, memberId, shareIds), (linked) => {
      if (linked > 0) board.touch(workspaceId)
    })
}

/**
 * `then` with a store method's result once it is written, returning that result as it came:
 * the stores answer synchronously (SQLite) or with a promise (PostgreSQL), and the board is
 * touched only after the write succeeded either way.
 */
function afterWrite<R>(result: R, then: (value: Awaited<R>) => void): R {
  if (result instanceof Promise)
    return result.then((value: Awaited<R>) => {
      then(value)
      return value
    }) as R
  then(result as Awaited<R>)
  return result
}

/** A queue change is looked at this long after it was stored: a typing burst costs one look. */
export const QUEUE_LOOK_MS = 250

/** What the board reads from a queue doc itself (the rest comes from tables). */
function boardInputs(room: Room): string {
  return JSON.stringify([settingsMap(room.doc).get('points') ?? null, challengesMap(room.doc)])
}

/**
 * Queue changes that matter to the board: its point weights and challenges. Almost every queue
 * change (a keystroke in an item, a status) changes neither, and used to schedule a full board
 * rebuild each time (issue 11.3: a third of the relay's CPU with 500 busy workspaces). A stored
 * change is looked at on a timer, off the turn that broadcast it, and the board touched only if
 * those inputs differ from what they were at the last look.
 */
export class QueueBoardWatch {
  readonly #board: () => BoardService
  readonly #peek: (ref: RoomRef) => Room | undefined
  /** The inputs each loaded queue room had at its load or last look. */
  readonly #seen = new WeakMap<Room, string>()
  readonly #timers = new Map<string, NodeJS.Timeout>()
  #closed = false

  readonly #counted: { checks: Counter; rebuilds: Counter } | null

  constructor(
    board: () => BoardService,
    peek: (ref: RoomRef) => Room | undefined,
    counted: { checks: Counter; rebuilds: Counter } | null = null,
  ) {
    this.#board = board
    this.#peek = peek
    this.#counted = counted
  }

  /** A room was loaded (before anyone is served from it). */
  loaded(room: Room): void {
    if (room.ref.doc === 'queue') this.#seen.set(room, boardInputs(room))
  }

  /** The onStore room hook. */
  stored({ ref }: Pick<StorePayload, 'ref'>): void {
    if (ref.doc !== 'queue' || this.#closed || this.#timers.has(ref.workspaceId)) return
    const timer = setTimeout(() => {
      this.#timers.delete(ref.workspaceId)
      this.#look(ref)
    }, QUEUE_LOOK_MS)
    timer.unref()
    this.#timers.set(ref.workspaceId, timer)
  }

  #look(ref: RoomRef): void {
    if (this.#closed) return
    const room = this.#peek(ref)
    // Unloaded (or never seen) since the change: what it changed is unknown, rebuild.
    const before = room && !room.broken ? this.#seen.get(room) : undefined
    const now = room && !room.broken ? boardInputs(room) : undefined
    if (room && now !== undefined) this.#seen.set(room, now)
    this.#counted?.checks.inc()
    if (before !== undefined && before === now) return
    this.#counted?.rebuilds.inc()
    this.#board().touch(ref.workspaceId)
  }

  close(): void {
    this.#closed = true
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }
}
