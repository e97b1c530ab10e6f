import { type AddressPolicy, InternalAddressError, policyFromEnv } from '../net/address-policy'
import { type FetchImpl, guardedFetch } from '../net/guarded-fetch'
import { displayUrl, FeedError } from './errors'

export type { FetchImpl }

export type FetchLimitedOptions = {
  /** Total budget for the whole exchange: every redirect, the headers and the last body byte. */
  timeoutMs: number
  /** Largest body accepted, counted after decompression (a gzip bomb is cut off too). */
  maxBytes: number
  /** Replaces the network (tests); by default a fetch that reaches public addresses only. */
  fetchImpl?: FetchImpl
  /** Which internal addresses may be reached (default: PORTE_VOIX_ALLOW_INTERNAL_HOSTS, or none). */
  policy?: AddressPolicy
  /** At most this many redirects are followed (default 5). */
  maxRedirects?: number
  /** What the URL is, for messages: "The feed at …" or "The page at …". */
  what?: string
  accept?: string
  /**
   * 'error' (default) rejects a body larger than maxBytes; 'truncate' keeps its first maxBytes,
   * which is enough for reading a page's <head>.
   */
  overflow?: 'error' | 'truncate'
  /** Lets the caller give up early (e.g. the core shutting down). */
  signal?: AbortSignal
}

export type FetchedText = { finalUrl: string; contentType: string; text: string }

const FEED_ACCEPT =
  'application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, ' +
  'application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.5'

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/** Only http(s) is fetched: file:, data: or ftp: URLs must never reach the network stack. */
function parseHttpUrl(raw: string, what: string, context: string): URL {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch (cause) {
    throw new FeedError('bad_url', `${context} "${displayUrl(raw)}" is not a valid web address.`, {
      cause,
    })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FeedError(
      'bad_url',
      `${context} "${displayUrl(raw)}" is not a web (http or https) address; the ${what} cannot be read from it.`,
    )
  }
  return url
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`
  return `${bytes} bytes`
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the server refused the connection',
  ECONNRESET: 'the server closed the connection',
  ENOTFOUND: 'no server has this name',
  EAI_AGAIN: 'the name could not be looked up (are you offline?)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the server cannot be reached',
  ENETUNREACH: 'the network is unreachable (are you offline?)',
  UND_ERR_SOCKET: 'the connection broke',
  CERT_HAS_EXPIRED: 'its security certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its security certificate is not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'its security certificate is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its security certificate is not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its security certificate is for another site',
}

/** undici reports "fetch failed" and hides the reason in `cause` (sometimes an AggregateError). */
function networkReason(error: unknown): string {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code
    if (typeof code === 'string' && code in NETWORK_REASONS) return NETWORK_REASONS[code] as string
    if (current instanceof AggregateError && current.errors[0] !== undefined) {
      current = current.errors[0]
    } else {
      current = current.cause
    }
  }
  return 'the connection failed'
}

function internalCause(error: unknown): InternalAddressError | null {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current instanceof InternalAddressError) return current
    current = current.cause
  }
  return null
}

/** Pick the text encoding: BOM, then the Content-Type charset, then the XML or HTML declaration. */
function decodeBody(bytes: Uint8Array, contentType: string): string {
  let label: string | undefined
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) label = 'utf-8'
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) label = 'utf-16be'
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) label = 'utf-16le'
  label ??= /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1]
  if (label === undefined) {
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024))
    label =
      /^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1] ??
      /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1]
  }
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(label ?? 'utf-8')
  } catch {
    // An unknown label: UTF-8 is by far the most likely truth.
    decoder = new TextDecoder('utf-8')
  }
  return decoder.decode(bytes)
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk.subarray(0, Math.min(chunk.byteLength, total - offset)), offset)
    offset += chunk.byteLength
    if (offset >= total) break
  }
  return out
}

/**
 * Fetch a URL as text with hard limits: http(s) only (redirects included), public addresses only
 * unless allowed (checked on the address connected to, at every hop), at most
 * `maxRedirects` redirects, one timeout for the whole exchange (a server that trickles its body
 * is cut off too) and a size cap enforced while streaming, not after buffering.
 */
export async function fetchLimited(
  url: string,
  options: FetchLimitedOptions,
): Promise<FetchedText> {
  const what = options.what ?? 'feed'
  const original = displayUrl(url)
  const maxRedirects = options.maxRedirects ?? 5
  // Every hop (redirects included) connects through the address policy, after DNS.
  const fetchImpl: FetchImpl = options.fetchImpl ?? guardedFetch(options.policy ?? policyFromEnv())
  let current = parseHttpUrl(url, what, `The ${what} address`)

  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, options.timeoutMs)
  const onCallerAbort = () => controller.abort()
  if (options.signal?.aborted) controller.abort()
  options.signal?.addEventListener('abort', onCallerAbort, { once: true })

  try {
    for (let redirects = 0; ; redirects++) {
      const response = await fetchImpl(current.href, {
        redirect: 'manual',
        signal: controller.signal,
        headers: {
          accept: options.accept ?? FEED_ACCEPT,
          'user-agent': 'Porte-voix feed reader (+https://github.com/porte-voix)',
        },
      })

      if (REDIRECT_STATUSES.has(response.status)) {
        await response.body?.cancel().catch(() => undefined)
        const location = response.headers.get('location')
        if (location === null) {
          throw new FeedError(
            'http_status',
            `The ${what} at ${original} redirects (HTTP ${response.status}) without saying where to.`,
          )
        }
        if (redirects >= maxRedirects) {
          throw new FeedError(
            'http_status',
            `The ${what} at ${original} redirects more than ${maxRedirects} times; giving up.`,
          )
        }
        let next: URL
        try {
          next = new URL(location, current)
        } catch (cause) {
          throw new FeedError(
            'bad_url',
            `The ${what} at ${original} redirects to an invalid address.`,
            { cause },
          )
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          throw new FeedError(
            'bad_url',
            `The ${what} at ${original} redirects to "${displayUrl(next.href)}", which is not a web (http or https) address; refused.`,
          )
        }
        current = next
        continue
      }

      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined)
        const reason = response.statusText ? ` ${response.statusText}` : ''
        throw new FeedError(
          'http_status',
          `The ${what} at ${original} answered HTTP ${response.status}${reason} instead of the ${what}.`,
        )
      }

      const contentType = response.headers.get('content-type') ?? ''
      const truncate = options.overflow === 'truncate'
      const tooLarge = () =>
        new FeedError(
          'too_large',
          `The ${what} at ${original} is larger than ${size(options.maxBytes)}; it was not downloaded.`,
        )
      // Reject early when the server says up front that the body is too large.
      const declared = Number(response.headers.get('content-length') ?? Number.NaN)
      if (!truncate && Number.isFinite(declared) && declared > options.maxBytes) {
        await response.body?.cancel().catch(() => undefined)
        throw tooLarge()
      }

      const chunks: Uint8Array[] = []
      let total = 0
      if (response.body !== null) {
        const reader = response.body.getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          chunks.push(value)
          total += value.byteLength
          if (total > options.maxBytes) {
            // Never trust Content-Length: stop the download as soon as the cap is crossed.
            await reader.cancel().catch(() => undefined)
            if (!truncate) throw tooLarge()
            total = options.maxBytes
            break
          }
        }
      }
      const text = decodeBody(concat(chunks, total), contentType)
      return { finalUrl: current.href, contentType, text }
    }
  } catch (error) {
    controller.abort()
    if (error instanceof FeedError) throw error
    const internal = internalCause(error)
    if (internal) {
      throw new FeedError(
        'bad_url',
        `The ${what} at ${original} was not read: ${internal.message}.`,
        { cause: error },
      )
    }
    if (timedOut) {
      throw new FeedError(
        'timeout',
        `The ${what} at ${original} did not answer within ${seconds(options.timeoutMs)}.`,
        { cause: error },
      )
    }
    if (options.signal?.aborted) {
      throw new FeedError('network', `Reading the ${what} at ${original} was cancelled.`, {
        cause: error,
      })
    }
    throw new FeedError(
      'network',
      `The ${what} at ${original} could not be reached: ${networkReason(error)}.`,
      { cause: error },
    )
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onCallerAbort)
  }
}
