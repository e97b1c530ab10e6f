import * as Y from 'yjs'
import { setHistoryGeneration, unpublishedEntries } from '../../common/doc/curation-doc'
import { insertItem, itemsMap, readItem } from '../../common/doc/queue-doc'
import { newId } from '../../common/model/ids'
import type { Logger } from '../log'
import type { Room } from './room'

export type QueueMigration = { moved: number; dropped: number; generation: string }

/**
 * Workspaces from before the curation document kept drafts, proposals, moderation and archived
 * items in the queue document that every member syncs. On load, move them into `curation`
 * (written and stored first, so a crash in between loses nothing: the next load finds them in
 * both and only removes them from the queue), delete them from the queue, and replace the
 * queue room's stored history by one fresh snapshot of the cleaned document.
 *
 * The cleaned queue continues the old document (same clients and clocks) rather than starting
 * a new one: replicas that still hold the old history receive the deletions through normal
 * sync, and nothing an offline champion still holds can bring the content back. With gc on,
 * the snapshot keeps only the deleted items' ids and lengths, not their content. The new
 * `history` generation tells replicas to drop their stored history of the document too.
 *
 * Returns null when there was nothing to move.
 */
export async function migrateQueueRoom(
  queue: Room,
  curation: Room,
  log: Logger,
): Promise<QueueMigration | null> {
  const items = itemsMap(queue.doc)
  const ids = unpublishedEntries(queue.doc, items.keys())
  if (ids.length === 0) return null
  let moved = 0
  let dropped = 0
  // Stored in curation before the queue loses them.
  await curation.changeByRelay((doc) => {
    const target = itemsMap(doc)
    for (const id of ids) {
      if (target.has(id)) continue
      const map: unknown = items.get(id)
      const read = map instanceof Y.Map ? readItem(map) : null
      if (read && 'item' in read) {
        insertItem(doc, read.item)
        moved++
      } else dropped++
    }
  })
  const generation = newId('gen')
  await queue.changeByRelay((doc) => {
    const source = itemsMap(doc)
    for (const id of ids) source.delete(id)
    setHistoryGeneration(doc, generation)
  })
  // A fresh snapshot of the cleaned doc replaces every stored update and the old snapshot.
  await queue.compact('periodic')
  log.info('queue migrated: curation content moved out of the published queue', {
    room: queue.name,
    moved,
    dropped,
    generation,
  })
  return { moved, dropped, generation }
}
