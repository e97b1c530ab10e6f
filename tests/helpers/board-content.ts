import type { BoardContent } from '../../sync-server/board/aggregate'

/**
 * A board's content with its maps as sorted entries, so two boards compare whatever order their
 * rows were counted in (a full rebuild against running counters).
 */
export function normalBoard(board: BoardContent): unknown {
  const sorted = (map: Map<string, unknown>) =>
    [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return {
    items: sorted(board.items),
    networks: sorted(board.networks),
    objectives: sorted(board.objectives),
    sourceKinds: sorted(board.sourceKinds),
    campaigns: sorted(board.campaigns),
    clickCurve: sorted(board.clickCurve),
    leaderboard: board.leaderboard,
    challenges: sorted(board.challenges),
  }
}
