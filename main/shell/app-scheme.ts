import path from 'node:path'
import { CONTENT_SECURITY_POLICY } from './security'

/**
 * The windows' own scheme (issue 7.8). Chromium keeps no V8 code cache for file:// pages, so the
 * popover compiled its ~400 kB of JavaScript from scratch at every start; a standard, secure
 * custom scheme registered with `codeCache` gets the cache (Electron ≥ 28: Chromium keys it by the
 * script's content hash for such schemes, so a new build never runs stale code). Pure parts here,
 * testable without Electron; main/shell/windows.ts registers and serves it.
 */
export const APP_SCHEME = 'porte-voix-app'
/** A standard scheme needs a host; the renderer's files are its only content. */
export const APP_HOST = 'renderer'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/**
 * `standard` for relative URLs and an origin of its own (CSP 'self', storage), `secure` like
 * https, `corsEnabled` because module scripts and modulepreloads are CORS-mode requests (same
 * origin here), `codeCache` for V8's cache. No bypassCSP, no service workers, no fetch API.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  corsEnabled: true,
  codeCache: true,
} as const

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

export type AppRequest = { file: string } | { status: 400 | 403 | 404 | 405 }

/**
 * The file under `root` that a request to the app scheme names, or the status to answer. Only
 * GET of `porte-voix-app://renderer/…` is served; `/` is index.html; nothing outside `root`.
 */
export function resolveAppRequest(root: string, url: string, method = 'GET'): AppRequest {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405 }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { status: 400 }
  }
  if (
    parsed.protocol !== `${APP_SCHEME}:` ||
    parsed.host !== APP_HOST ||
    parsed.username !== '' ||
    parsed.password !== ''
  ) {
    return { status: 403 }
  }
  let pathname: string
  try {
    // URL parsing removes `.`/`..` segments; decoding comes after, so an encoded separator
    // (`..%2f`) can still produce `..`: the resolved path is checked below.
    pathname = decodeURIComponent(parsed.pathname)
  } catch {
    return { status: 400 }
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return { status: 400 }
  if (pathname === '/' || pathname === '') pathname = '/index.html'
  const base = path.resolve(root)
  const file = path.resolve(base, `.${pathname}`)
  const relative = path.relative(base, file)
  if (
    relative === '' ||
    relative === '..' ||
    relative.startsWith(`..${path.sep}`) ||
    path.isAbsolute(relative)
  ) {
    return { status: 403 }
  }
  if (!(path.extname(file) in TYPES)) return { status: 404 }
  return { file }
}

/**
 * Response headers for a served file: its type, the shell's CSP (a custom protocol's responses
 * may not pass through the session's onHeadersReceived; the page's meta tag lacks
 * frame-ancestors), no sniffing. No caching headers: the files are read from the app's own asar.
 */
export function appResponseHeaders(file: string): Record<string, string> {
  return {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
  }
}

/**
 * The renderer's files read once per app run, then served from memory (issue 7.8): the popover's
 * chunks are read again when it reloads, and the studio's window loads the same entry and shared
 * chunks. The files are the app's own, never changed while it runs; a failed read is not kept.
 */
export function cachedReads(read: (file: string) => Promise<Uint8Array>) {
  const files = new Map<string, Promise<Uint8Array>>()
  return (file: string): Promise<Uint8Array> => {
    let body = files.get(file)
    if (!body) {
      body = read(file)
      files.set(file, body)
      body.catch(() => files.delete(file))
    }
    return body
  }
}
