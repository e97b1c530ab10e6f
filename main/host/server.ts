import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import type { RawData, WebSocket } from 'ws'
import type { Transport } from '../../common/contract/client'
import type { HostOptions } from './args'
import { serveStatic } from './static-files'

export type RunningHost = { port: number; close(): Promise<void> }

/** What serves a window: the core, or its start (first screen, then the core: core/start.ts). */
export type Attachable = { attach(transport: Transport): unknown }

/**
 * `ws` through require(): imported as an ES module, the CommonJS package costs the start ~3x the
 * CPU (80–120 ms against ~30 ms under load, BENCHMARKS.md "core start to first paint").
 */
const { WebSocket: Socket, WebSocketServer } = createRequire(import.meta.url)(
  'ws',
) as typeof import('ws')
/** node:http through require() too: its ES-module facade reads every export, and one loads undici. */
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http')

/**
 * One core served to many windows over WebSocket (one connection per window), plus optionally
 * the built renderer as static files. Bound to loopback by default; browser origins other than
 * the host's own are refused so that a web page cannot drive the core.
 * `core` may still be opening: pages load meanwhile, and a connection's frames wait for it.
 */
export async function serveCore(
  core: Attachable | Promise<Attachable>,
  options: HostOptions,
  log: (line: string) => void,
  /** A start step for the host's trace (main.ts): the first window's WebSocket accepted. */
  onStep: (step: string) => void = () => {},
): Promise<RunningHost> {
  let accepted = false
  const server: Server = createServer((req, res) => {
    if (options.staticDir) serveStatic(options.staticDir, req, res, log)
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('porte-voix core host\n')
  })
  const opening = Promise.resolve(core)
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes })
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', (error) => log(`host: socket error: ${error.message}`))
    const origin = req.headers.origin
    const port = (server.address() as AddressInfo).port
    const own = [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
    if (origin && !own.includes(origin) && !options.allowOrigins.includes(origin)) {
      log(`host: refused a connection from origin ${origin}`)
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!accepted) {
        accepted = true
        onStep('first window connected (WebSocket accepted)')
      }
      attach(opening, ws, log)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    port,
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'core host shutting down')
      wss.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Keep-alive HTTP connections (static files) would otherwise hold the shutdown.
      server.closeAllConnections()
      await closed
    },
  }
}

function attach(opening: Promise<Attachable>, ws: WebSocket, log: (line: string) => void): void {
  const messageListeners: ((text: string) => void)[] = []
  /** Frames received before the core was open and attached, delivered in order once it is. */
  let early: string[] | null = []
  const closeListeners: ((reason: string) => void)[] = []
  ws.on('error', (error) => log(`host: connection error: ${error.message}`))
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      log('host: dropped a binary frame (the contract is JSON text)')
      return
    }
    const text = rawToString(data)
    if (early) early.push(text)
    else for (const listener of messageListeners) listener(text)
  })
  ws.on('close', (code, reason) => {
    for (const listener of closeListeners) listener(`${code} ${reason.toString()}`.trim())
  })
  const transport: Transport = {
    send: (text) => {
      if (ws.readyState === Socket.OPEN) ws.send(text)
    },
    onMessage: (listener) => messageListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
  }
  opening.then(
    (core) => {
      // The window went away while the core was opening: nothing to attach.
      if (ws.readyState !== Socket.OPEN) return
      core.attach(transport)
      const queued = early ?? []
      early = null
      for (const text of queued) for (const listener of messageListeners) listener(text)
    },
    // The host exits when the core cannot open (main.ts); the window is told why it closes.
    () => ws.close(1011, 'the core could not open'),
  )
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  return data.toString('utf8')
}
