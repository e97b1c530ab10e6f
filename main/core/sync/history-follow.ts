import { historyGeneration } from '../../../common/doc/curation-doc'
import { eraseDeletedMembers } from '../../../common/doc/directory-doc'
import { type Access, type DocName, roomName } from '../../../common/doc/rooms'
import type { Disposable } from '../lifecycle'
import type { DocLog } from '../store/doc-log'
import type { UpdateObserver } from './workspace-sync'

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
    readonly isDestroyed: boolean
    access(doc: DocName): Access
    observe(observer: UpdateObserver): Disposable
  },
  docLog: Pick<DocLog, 'compact'>,
  log: (line: string) => void,
): void {
  const followed = new Map<DocName, (delayMs?: number) => void>()
  const generations = new Map<DocName, string | null>()
  for (const name of ['queue', 'curation', 'directory', 'board'] as const) {
    if (sync.access(name) === 'none') continue
    const key = roomName(sync.workspaceId, name)
    let pending = false
    const rewrite = (delayMs = 0) => {
      if (pending) return
      pending = true
      const timer = setTimeout(() => {
        pending = false
        if (sync.isDestroyed) return
        try {
          // Read when it runs (a sleeping replica is woken for it, see WorkspaceSync.sleep).
          if (name === 'directory') eraseDeletedMembers(sync.docs.directory)
          docLog.compact(key)
          log(
            `${name}: history rewritten by the relay (${generations.get(name)}); local history folded`,
          )
        } catch (error) {
          log(`${name}: could not rewrite local history (${(error as Error).message}); retrying`)
          rewrite(RETRY_MS)
        }
      }, delayMs)
      timer.unref()
    }
    followed.set(name, rewrite)
    // Replicas are all in memory when the sync starts (none sleeps before SLEEP_AFTER_MS).
    const generation = historyGeneration(sync.docs[name])
    generations.set(name, generation)
    // A generation that arrived before this listener (or in an earlier run) is folded once now.
    if (generation !== null) rewrite()
  }
  // Every update goes through the sync's listener, on whichever Y.Doc holds the replica (it is
  // replaced when a sleeping replica wakes): the marker is read from that transaction's doc,
  // after the doc log stored the update that changed it.
  sync.observe((name, _update, _origin, transaction) => {
    const rewrite = followed.get(name)
    if (!rewrite) return
    const next = historyGeneration(transaction.doc)
    if (next === generations.get(name)) return
    generations.set(name, next)
    rewrite()
  })
}
