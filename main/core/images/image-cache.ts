import { type AddressPolicy, policyFromEnv } from '../net/address-policy'
import { type FetchImpl, guardedFetch } from '../net/guarded-fetch'
import type { Db } from '../store/database'

/** Raster formats only: an SVG is a document (scripts, external references), not a picture. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif'])

export type ImageCacheOptions = {
  /** Largest image kept (bytes, counted while downloading). */
  maxBytes?: number
  timeoutMs?: number
  maxRedirects?: number
  /** A failed fetch is tried again after this long. */
  retryFailedMs?: number
  policy?: AddressPolicy
  fetchImpl?: FetchImpl
  now?: () => number
}

type Row = {
  content_type: string | null
  bytes: Buffer | null
  error: string | null
  fetched_at: string
}

export type CachedImage = { contentType: string; bytes: Buffer }

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * Item images for the windows, fetched by the core once and kept in SQLite. The windows load no
 * third-party URL at all (their CSP allows only the app's own files and data: URLs), so whoever
 * hosts an item's image never learns which employees looked at it, nor their addresses; and an
 * image seen once shows offline. Fetches go through the same address policy as feeds (no
 * loopback, private or link-local targets, at every redirect), are bounded in size and time,
 * send no cookies, referrer or identifying headers, and keep raster images only.
 */
export class ImageCache {
  private readonly select
  private readonly upsert
  private readonly inFlight = new Map<string, Promise<CachedImage | null>>()
  private readonly maxBytes: number
  private readonly timeoutMs: number
  private readonly maxRedirects: number
  private readonly retryFailedMs: number
  private readonly now: () => number

  constructor(
    db: Db,
    private readonly options: ImageCacheOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 2 * 1024 * 1024
    this.timeoutMs = options.timeoutMs ?? 10_000
    this.maxRedirects = options.maxRedirects ?? 3
    this.retryFailedMs = options.retryFailedMs ?? 60 * 60_000
    this.now = options.now ?? Date.now
    this.select = db.prepare<[string], Row>(
      'SELECT content_type, bytes, error, fetched_at FROM image_cache WHERE url = ?',
    )
    this.upsert = db.prepare<[string, string | null, Buffer | null, string | null, string]>(
      `INSERT INTO image_cache (url, content_type, bytes, error, fetched_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (url) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes,
         error = excluded.error, fetched_at = excluded.fetched_at`,
    )
  }

  /** The image at `url`, from the cache or fetched now (null when it cannot be had). */
  async get(url: string): Promise<CachedImage | null> {
    const row = this.select.get(url)
    if (row?.bytes && row.content_type) return { contentType: row.content_type, bytes: row.bytes }
    if (row && this.now() - Date.parse(row.fetched_at) < this.retryFailedMs) return null
    let pending = this.inFlight.get(url)
    if (!pending) {
      pending = this.fetchAndKeep(url).finally(() => this.inFlight.delete(url))
      this.inFlight.set(url, pending)
    }
    return pending
  }

  /** As a data: URL, the only form of image the windows' CSP accepts. */
  async dataUrl(url: string): Promise<string | null> {
    const image = await this.get(url)
    return image ? `data:${image.contentType};base64,${image.bytes.toString('base64')}` : null
  }

  private async fetchAndKeep(url: string): Promise<CachedImage | null> {
    const at = new Date(this.now()).toISOString()
    try {
      const image = await this.download(url)
      this.upsert.run(url, image.contentType, image.bytes, null, at)
      return image
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      try {
        this.upsert.run(url, null, null, why.slice(0, 500), at)
      } catch {
        // Storage failing too: the next paint tries again.
      }
      return null
    }
  }

  private async download(raw: string): Promise<CachedImage> {
    const fetchImpl = this.options.fetchImpl ?? guardedFetch(this.options.policy ?? policyFromEnv())
    const signal = AbortSignal.timeout(this.timeoutMs)
    let url = new URL(raw)
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new Error(`not a web address: ${url.protocol}`)
      }
      const response = await fetchImpl(url.href, {
        redirect: 'manual',
        signal,
        headers: { accept: [...IMAGE_TYPES].join(', ') },
      })
      if (REDIRECTS.has(response.status)) {
        await response.body?.cancel().catch(() => undefined)
        const location = response.headers.get('location')
        if (location === null || hop >= this.maxRedirects) throw new Error('too many redirects')
        url = new URL(location, url)
        continue
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined)
        throw new Error(`HTTP ${response.status}`)
      }
      const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim()
      if (!contentType || !IMAGE_TYPES.has(contentType.toLowerCase())) {
        await response.body?.cancel().catch(() => undefined)
        throw new Error(`not a picture (${contentType || 'no content type'})`)
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN)
      if (Number.isFinite(declared) && declared > this.maxBytes) {
        await response.body?.cancel().catch(() => undefined)
        throw new Error(`larger than ${this.maxBytes} bytes`)
      }
      const chunks: Uint8Array[] = []
      let total = 0
      const reader = response.body?.getReader()
      while (reader) {
        const { done, value } = await reader.read()
        if (done) break
        total += value.byteLength
        if (total > this.maxBytes) {
          await reader.cancel().catch(() => undefined)
          throw new Error(`larger than ${this.maxBytes} bytes`)
        }
        chunks.push(value)
      }
      return { contentType: contentType.toLowerCase(), bytes: Buffer.concat(chunks) }
    }
  }
}
