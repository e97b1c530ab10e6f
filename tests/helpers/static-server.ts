import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { serveStatic } from '../../main/host/static-files'
import { removeTempDir, tempDir } from './process'

export type Answer = { status: number; headers: IncomingHttpHeaders; body: string }

/**
 * GET a raw request target (no client-side normalisation of `..` or percent-escapes). A response
 * cut short after its headers is still an answer, not a hang.
 */
export function httpGet(
  port: number,
  target: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: target, method: 'GET', headers },
      (res) => {
        let body = ''
        const answer = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', answer)
        res.on('error', answer)
        res.on('aborted', answer)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

export type StaticServer = {
  port: number
  /** The folder served (`<parent>/<rootName>`). */
  root: string
  /** Its temp parent, which the files outside the root go in. */
  parent: string
  /** What serveStatic reported as errors. */
  errors: string[]
  /** Stop the server and remove the folder. */
  close(): Promise<void>
}

/**
 * The dev host's static files (main/host/static-files.ts) served on 127.0.0.1 from a fresh temp
 * folder: `files` (paths relative to the root; `../x` goes in the parent) are written first, then
 * `prepare` runs on the root (symlinks and the like).
 */
export async function startStaticServer(o: {
  prefix: string
  rootName?: string
  files: Record<string, string>
  prepare?: (root: string) => void
}): Promise<StaticServer> {
  const parent = tempDir(o.prefix)
  const root = path.join(parent, o.rootName ?? 'root')
  mkdirSync(root, { recursive: true })
  for (const [file, content] of Object.entries(o.files)) {
    const at = path.join(root, file)
    mkdirSync(path.dirname(at), { recursive: true })
    writeFileSync(at, content)
  }
  o.prepare?.(root)
  const errors: string[] = []
  const server = createServer((req, res) => serveStatic(root, req, res, (m) => errors.push(m)))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    root,
    parent,
    errors,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      removeTempDir(parent)
    },
  }
}
