import type * as Y from 'yjs'
import {
  Board,
  BoardCampaign,
  BoardCounts,
  BoardItem,
  BoardMeta,
  ChallengeStandings,
  CLICK_CURVE_ALL,
  ClickCurve,
  EMPTY_BOARD,
  Leaderboard,
} from '../model/board'
import { Objective, SourceKind } from '../model/item'
import { Network } from '../model/networks'

/**
 * The `board` document (layout in common/model/board.ts). Only the relay writes it; readers
 * validate each entry on its own, so one entry a buggy relay version wrote never hides the rest.
 */
export const BOARD_MAPS = [
  'meta',
  'items',
  'networks',
  'objectives',
  'sourceKinds',
  'campaigns',
  'clickCurve',
  'leaderboard',
  'challenges',
] as const
export type BoardMapName = (typeof BOARD_MAPS)[number]

export function boardMap(doc: Y.Doc, name: BoardMapName): Y.Map<unknown> {
  return doc.getMap(name)
}

/**
 * Set `key` to `value` unless it already holds an equal value: the relay rewrites the board
 * every few seconds, and unchanged entries must not grow the log or wake every member.
 */
export function putIfChanged(map: Y.Map<unknown>, key: string, value: unknown): boolean {
  const current = map.get(key)
  if (current !== undefined && JSON.stringify(current) === JSON.stringify(value)) return false
  map.set(key, value)
  return true
}

/** Remove every key of `map` not in `keep`. */
export function pruneKeys(map: Y.Map<unknown>, keep: ReadonlySet<string>): number {
  let removed = 0
  for (const key of [...map.keys()]) {
    if (!keep.has(key)) {
      map.delete(key)
      removed++
    }
  }
  return removed
}

function entries<T>(map: Y.Map<unknown>, parse: (value: unknown) => T | null): T[] {
  const out: T[] = []
  for (const value of map.values()) {
    const parsed = parse(value)
    if (parsed !== null) out.push(parsed)
  }
  return out
}

function keyed<K extends string, T>(
  map: Y.Map<unknown>,
  isKey: (key: string) => key is K,
  parse: (value: unknown) => T | null,
): Partial<Record<K, T>> {
  const out: Partial<Record<K, T>> = {}
  for (const [key, value] of map.entries()) {
    if (!isKey(key)) continue
    const parsed = parse(value)
    if (parsed !== null) out[key] = parsed
  }
  return out
}

const safe =
  <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }) =>
  (value: unknown): T | null => {
    const parsed = schema.safeParse(value)
    return parsed.success ? parsed.data : null
  }

const isNetwork = (key: string): key is Network => Network.safeParse(key).success
const isObjective = (key: string): key is Objective => Objective.safeParse(key).success
const isSourceKind = (key: string): key is SourceKind => SourceKind.safeParse(key).success
const isCurveKey = (key: string): key is Network | typeof CLICK_CURVE_ALL =>
  key === CLICK_CURVE_ALL || isNetwork(key)

export function readBoard(doc: Y.Doc): Board {
  const meta = BoardMeta.safeParse(boardMap(doc, 'meta').toJSON())
  const leaderboard = Leaderboard.safeParse(boardMap(doc, 'leaderboard').toJSON())
  const board: Board = {
    ...EMPTY_BOARD,
    updatedAt: meta.success ? meta.data.updatedAt : null,
    items: entries(boardMap(doc, 'items'), safe(BoardItem)),
    networks: keyed(boardMap(doc, 'networks'), isNetwork, safe(BoardCounts)),
    objectives: keyed(boardMap(doc, 'objectives'), isObjective, safe(BoardCounts)),
    sourceKinds: keyed(boardMap(doc, 'sourceKinds'), isSourceKind, safe(BoardCounts)),
    campaigns: entries(boardMap(doc, 'campaigns'), safe(BoardCampaign)),
    clickCurves: keyed(boardMap(doc, 'clickCurve'), isCurveKey, safe(ClickCurve)),
    leaderboard: leaderboard.success ? leaderboard.data : null,
    challenges: entries(boardMap(doc, 'challenges'), safe(ChallengeStandings)),
  }
  // The whole shape once more: a reader gets exactly the contract's type.
  return Board.parse(board)
}
