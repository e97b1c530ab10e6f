import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'

/** Through require(): node:fs's ES-module facade loads its promises API on the start's path. */
const { createReadStream, statSync } = createRequire(import.meta.url)(
  'node:fs',
) as typeof import('node:fs')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
}

/**
 * Caching (issue 7.8): Chromium builds a script's V8 code cache only for responses it keeps in
 * its HTTP cache, and consumes it on a later load that needs no new response. Vite names every
 * file under assets/ by its content hash, so those are immutable for a year; index.html (and the
 * SPA fallback) is revalidated each time with its ETag, so a new build is seen at once.
 */
const IMMUTABLE = 'public, max-age=31536000, immutable'
const REVALIDATE = 'no-cache'

/** A validator from the file's size and modification time (a new build writes new files). */
export function fileETag(stats: { size: number; mtimeMs: number }): string {
  return `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`
}

/** The cache policy of a served file, by where it sits under the root. */
export function cacheControl(root: string, file: string): string {
  const relative = path.relative(path.resolve(root), file).split(path.sep)
  return relative.length === 2 && relative[0] === 'assets' ? IMMUTABLE : REVALIDATE
}

/**
 * Serve the built renderer (GET/HEAD only, no escaping the root, SPA fallback to index.html).
 * `onError` hears about files that could not be read (answered 500, never a crash).
 */
export function serveStatic(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (message: string) => void = () => {},
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end()
    return
  }
  let pathname: string
  try {
    // URL parsing removes `.`/`..` segments (also written %2e); decoding comes after, so an
    // encoded separator (`..%2f`) can still produce `..`: the resolved path is checked below.
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://host').pathname)
  } catch {
    res.writeHead(400).end()
    return
  }
  // A NUL byte makes fs calls throw; it never names a real file.
  if (pathname.includes('\0')) {
    res.writeHead(400).end()
    return
  }
  const base = path.resolve(root)
  // Relative to the root even when it looks absolute (`//etc/passwd`, `/C:/…`).
  let file = path.resolve(base, `.${pathname}`)
  const relative = path.relative(base, file)
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    res.writeHead(403).end()
    return
  }
  let stats = fileStats(file)
  if (!stats) {
    file = path.join(base, 'index.html')
    stats = fileStats(file)
  }
  if (!stats) {
    res.writeHead(404).end()
    return
  }
  const etag = fileETag(stats)
  const headers = {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'cache-control': cacheControl(base, file),
    etag,
  }
  const match = req.headers['if-none-match']
  if (match?.split(/\s*,\s*/).some((tag) => tag === etag || tag === '*')) {
    res.writeHead(304, { 'cache-control': headers['cache-control'], etag }).end()
    return
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, headers).end()
    return
  }
  // Headers wait for the first bytes, so a file that cannot be opened or read still gets a 500;
  // a read error later can only cut the response short. Without the 'error' handler either
  // would be an unhandled 'error' event, which kills the host.
  const stream = createReadStream(file)
  stream.once('data', (first) => {
    res.writeHead(200, headers)
    res.write(first)
    stream.pipe(res)
  })
  stream.once('end', () => {
    // An empty file: no 'data', so nothing was piped.
    if (!res.headersSent) res.writeHead(200, headers).end()
  })
  stream.on('error', (error) => {
    onError(`host: could not read ${file}: ${error.message}`)
    if (res.headersSent) res.destroy()
    else res.writeHead(500).end()
  })
  // A client that goes away mid-download must not leave the file open.
  res.once('close', () => stream.destroy())
}

function fileStats(file: string): { size: number; mtimeMs: number } | null {
  try {
    const stats = statSync(file)
    return stats.isFile() ? stats : null
  } catch {
    return null
  }
}
