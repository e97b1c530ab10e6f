import { createReadStream, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'

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
  if (!isFile(file)) file = path.join(base, 'index.html')
  if (!isFile(file)) {
    res.writeHead(404).end()
    return
  }
  const headers = {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
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

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile()
  } catch {
    return false
  }
}
