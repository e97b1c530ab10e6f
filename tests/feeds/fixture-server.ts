import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')

/** A fixture file with `{{ORIGIN}}` replaced by the test server's origin. */
export function fixture(name: string, origin = 'http://127.0.0.1:1'): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8').replaceAll('{{ORIGIN}}', origin)
}

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, origin: string) => void

export type FixtureServer = {
  origin: string
  routes: Map<string, Route>
  /** Requests received per path, to check what was (not) fetched. */
  hits: Map<string, number>
  close(): Promise<void>
}

/** Serve a fixture file with a content type. */
export function file(name: string, contentType: string): Route {
  return (_req, res, origin) => {
    const body = fixture(name, origin)
    res.writeHead(200, { 'content-type': contentType })
    res.end(body)
  }
}

export function text(body: string, contentType: string): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': contentType })
    res.end(body)
  }
}

export function redirect(location: string, status = 302): Route {
  return (_req, res) => {
    res.writeHead(status, { location })
    res.end()
  }
}

/**
 * A feed of `megabytes` MB generated on the fly, written as fast as the client reads, stopped as
 * soon as the client goes away. `declareLength` sends a truthful Content-Length up front.
 */
export function hugeFeed(megabytes: number, declareLength: boolean): Route {
  const head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>'
  const item = (i: number) =>
    `<item><title>Entry ${i}</title><link>https://huge.example/${i}</link><description>${'x'.repeat(900)}</description></item>`
  const itemBytes = Buffer.byteLength(item(0))
  const count = Math.ceil((megabytes * 1024 * 1024) / itemBytes)
  return (_req, res) => {
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/rss+xml' }
    if (declareLength) {
      let total = Buffer.byteLength(head) + Buffer.byteLength('</channel></rss>')
      for (let i = 0; i < count; i++) total += Buffer.byteLength(item(i))
      headers['content-length'] = total
    }
    res.writeHead(200, headers)
    let i = 0
    let closed = false
    res.on('close', () => {
      closed = true
    })
    res.write(head)
    const pump = () => {
      while (!closed && i < count) {
        if (!res.write(item(i++))) {
          res.once('drain', pump)
          return
        }
      }
      if (!closed) res.end('</channel></rss>')
    }
    pump()
  }
}

/** A small Content-Length for a gzip body that inflates to `megabytes` MB: the header "lies". */
export function gzipBomb(megabytes: number): Route {
  const item = `<item><title>Bomb</title><link>https://bomb.example/</link><description>${'y'.repeat(1000)}</description></item>`
  const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>Bomb</title>${item.repeat(
    Math.ceil((megabytes * 1024 * 1024) / item.length),
  )}</channel></rss>`
  const body = gzipSync(xml)
  return (_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/rss+xml',
      'content-encoding': 'gzip',
      'content-length': body.byteLength,
    })
    res.end(body)
  }
}

/** Accepts the request and never answers. */
export function silent(): Route {
  return () => undefined
}

/** Sends headers, then one byte at a time, forever (until the client hangs up). */
export function trickle(intervalMs = 40): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' })
    res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>')
    const timer = setInterval(() => res.write(' '), intervalMs)
    res.on('close', () => clearInterval(timer))
  }
}

export async function startFixtureServer(
  routes: Record<string, Route> = {},
): Promise<FixtureServer> {
  const table = new Map(Object.entries(routes))
  const hits = new Map<string, number>()
  let origin = ''
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', origin).pathname
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1)
    const route = table.get(pathname)
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found')
      return
    }
    route(req, res, origin)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    routes: table,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        // Slow and silent routes hold sockets open; cut them so close() returns.
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
