import { ContractError } from '../../../common/contract/messages'
import type { HandlerGroup } from '../api/handlers/types'
import type { Db } from '../store/database'
import { ImageCache } from './image-cache'

/** One cache per database (the core has one; tests may open several cores in a process). */
const caches = new WeakMap<Db, { cache: ImageCache; isItemImage: (url: string) => boolean }>()

/** The database's image cache, shared by image.get and the prefetcher (one fetch per URL). */
export function cacheFor(db: Db) {
  let entry = caches.get(db)
  if (!entry) {
    const known = db.prepare<[string], { one: number }>(
      "SELECT 1 AS one FROM items WHERE json_extract(json, '$.imageUrl') = ? LIMIT 1",
    )
    entry = { cache: new ImageCache(db), isItemImage: (url) => known.get(url) !== undefined }
    caches.set(db, entry)
  }
  return entry
}

export const imageHandlers: HandlerGroup<'image.get'> = {
  /**
   * An item's image as a data: URL, fetched by the core once and kept (windows load no remote
   * URL). Only images items name: a window cannot make the core fetch arbitrary URLs.
   */
  'image.get': async (ctx, { url }) => {
    const { cache, isItemImage } = cacheFor(ctx.store.db)
    if (!isItemImage(url)) throw new ContractError('not_found', 'No item has this image')
    return { dataUrl: await cache.dataUrl(url) }
  },
}
