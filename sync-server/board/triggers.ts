import type { LinkStore } from '../links/link-store'
import type { ResultsStore } from '../links/results-store'
import type { ShareStore } from '../persistence/share-store'
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
  shares.record = (workspaceId, events, receivedAt) => {
    const result = record(workspaceId, events, receivedAt)
    board.touch(workspaceId)
    return result
  }
  const recordClick = links.recordClick.bind(links)
  links.recordClick = (click) => {
    const counted = recordClick(click)
    board.touch(click.workspaceId)
    return counted
  }
  const recordConversion = results.recordConversion.bind(results)
  results.recordConversion = (scope, input, at) => {
    const result = recordConversion(scope, input, at)
    if (result.counted) board.touch(scope.workspaceId)
    return result
  }
  const optIn = results.optIn.bind(results)
  results.optIn = (workspaceId, memberId, list, at) => {
    const linked = optIn(workspaceId, memberId, list, at)
    board.touch(workspaceId)
    return linked
  }
  const optOut = results.optOut.bind(results)
  results.optOut = (workspaceId, memberId) => {
    const removed = optOut(workspaceId, memberId)
    board.touch(workspaceId)
    return removed
  }
  const linkIfOptedIn = results.linkIfOptedIn.bind(results)
  results.linkIfOptedIn = (workspaceId, memberId, shareIds) => {
    const linked = linkIfOptedIn(workspaceId, memberId, shareIds)
    if (linked > 0) board.touch(workspaceId)
    return linked
  }
}
