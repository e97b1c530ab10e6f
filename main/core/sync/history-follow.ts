import { historyGeneration } from '../../../common/doc/curation-doc'
import { eraseDeletedMembers } from '../../../common/doc/directory-doc'
import { type Access, type DocName, roomName } from '../../../common/doc/rooms'
import type { DocLog } from '../store/doc-log'

/** How long a failed rewrite of a document's local history waits before it is tried again. */
const RETRY_MS = 1_000

/**
 * The relay rewrote a document's history — content moved out of the queue (issue 8.4), or a
 * deleted member erased (issue 8.13: their id left the items they wrote and their directory
 * entry, key included) — and marked it with a new `history` generation. Fold this device's stored log of that document into one garbage-collected snapshot,
 * so the old values leave this disk too; for the directory the deleted entries' keys are erased
 * from the live doc and the fold (doc-log's compact). The board's rewrite drops a deleted or
 * opted-out member's leaderboard row. A failed fold (a busy or full disk) is retried until it
 * works or the sync stops (destroyed doc).
 */
export function followHistoryRewrites(
  sync: {
    readonly workspaceId: string
    readonly docs: Record<DocName, import('yjs').Doc>
    access(doc: DocName): Access
  },
  docLog: Pick<DocLog, 'compact'>,
  log: (line: string) => void,
): void {
  for (const name of ['queue', 'curation', 'directory', 'board'] as const) {
    if (sync.access(name) === 'none') continue
    const doc = sync.docs[name]
    const key = roomName(sync.workspaceId, name)
    let generation = historyGeneration(doc)
    let pending = false
    const rewrite = (delayMs = 0) => {
      if (pending) return
      pending = true
      const timer = setTimeout(() => {
        pending = false
        if (doc.isDestroyed) return
        try {
          if (name === 'directory') eraseDeletedMembers(doc)
          docLog.compact(key)
          log(`${name}: history rewritten by the relay (${generation}); local history folded`)
        } catch (error) {
          log(`${name}: could not rewrite local history (${(error as Error).message}); retrying`)
          rewrite(RETRY_MS)
        }
      }, delayMs)
      timer.unref()
    }
    doc.on('update', () => {
      // Added after the doc log's listener: the update that changed the marker is stored.
      const next = historyGeneration(doc)
      if (next === generation) return
      generation = next
      rewrite()
    })
    // A generation that arrived before this listener (or in an earlier run) is folded once now.
    if (generation !== null) rewrite()
  }
}
