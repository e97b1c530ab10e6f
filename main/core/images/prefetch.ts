import type { Disposable } from '../lifecycle'
import type { Db } from '../store/database'
import type { ImageCache } from './image-cache'

export type PrefetchOptions = {
  /** Downloads at once: a 300-item queue must not open 300 sockets. */
  concurrency?: number
  log?: (line: string) => void
}

/**
 * Fetches the images of queue items ahead of time (issue 8.8): an item never opened while online
 * still shows its image offline. Only images never tried go (the cache keeps results and recent
 * failures); one pass at a time, and a change during a pass runs one more pass after it.
 */
export class ImagePrefetcher implements Disposable {
  private readonly missing
  private readonly concurrency: number
  private running: Promise<void> | null = null
  private again = false
  private disposed = false

  constructor(
    db: Db,
    private readonly cache: ImageCache,
    private readonly options: PrefetchOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 3)
    this.missing = db.prepare<[], { url: string }>(
      `SELECT DISTINCT json_extract(i.json, '$.imageUrl') AS url FROM items i
        WHERE json_extract(i.json, '$.imageUrl') IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM image_cache c WHERE c.url = json_extract(i.json, '$.imageUrl'))`,
    )
  }

  /** The queue changed: fetch what is missing (coalesced with a pass already running). */
  schedule(): void {
    if (this.disposed) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.run().finally(() => {
      this.running = null
      if (this.again && !this.disposed) {
        this.again = false
        this.schedule()
      }
    })
  }

  /** Resolves when no pass is running (tests; close). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** Starts no more downloads and waits for those under way (they write to SQLite). */
  async dispose(): Promise<void> {
    this.disposed = true
    await this.idle()
  }

  private async run(): Promise<void> {
    let urls: string[]
    try {
      urls = this.missing.all().map((row) => row.url)
    } catch (error) {
      this.options.log?.(`images: prefetch skipped (${(error as Error).message})`)
      return
    }
    let next = 0
    const worker = async () => {
      while (!this.disposed && next < urls.length) {
        const url = urls[next++] as string
        // Never throws: a failure is kept in the cache (tried again on view, after a while).
        await this.cache.get(url)
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.concurrency, urls.length) }, worker))
  }
}
