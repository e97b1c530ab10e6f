import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import type { Logger } from '../log'
import { METRICS_CONTENT_TYPE } from '../metrics/metrics'
import type { Authorization, authorizeUpgrade, Refusal } from './authorize'

export type HealthSource = () => { rooms: number; connections: number }
export type Accepted = Extract<Authorization, { ok: true }>

export type HttpServerOptions = {
  maxMessageBytes: number
  log: Logger
  health: HealthSource
  /** `GET /metrics`: Prometheus text (see metrics/metrics.ts). */
  metrics?: () => string
  authorize: (req: IncomingMessage) => ReturnType<typeof authorizeUpgrade>
  /**
   * authorize when it can decide synchronously (null otherwise): the upgrade is then accepted in
   * the parser's turn, without a promise per upgrade (issue 11.3, connects).
   */
  authorizeNow?: (req: IncomingMessage) => Authorization | null
  /**
   * Last check, synchronous with accepting (the per-member connection cap): nothing can slip in
   * between it and onConnection.
   */
  admit?: (accepted: Accepted) => Refusal | null
  onConnection: (ws: WebSocket, accepted: Accepted, req: IncomingMessage) => void
  /** The HTTP API (`/api/…`); returns false for paths it does not serve. */
  api?: (req: IncomingMessage, res: ServerResponse) => boolean
}

/**
 * The peer's address without `socket.remoteAddress`, which caches an object and a string on the
 * socket for its whole life (~150 B per idle connection, issue 11.3); that getter otherwise.
 */
export function peerAddress(socket: IncomingMessage['socket']): string | undefined {
  const handle = (socket as unknown as { _handle?: PeerHandle | null })._handle
  if (typeof handle?.getpeername !== 'function') return socket.remoteAddress
  const out: { address?: string } = {}
  return handle.getpeername(out) === 0 ? out.address : undefined
}

type PeerHandle = { getpeername?: (out: { address?: string }) => number }

function remoteOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`
}

/**
 * Answer a refused upgrade with a plain HTTP response on the raw socket, then drop it. The
 * problem code goes in a header (what the core reads, see main/core/sync/relay-errors.ts) and in
 * the JSON body with the reason in words.
 */
function refuse(socket: Duplex, refusal: Pick<Refusal, 'status' | 'reason' | 'problem'>): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const { status, reason, problem } = refusal
  const body = `${JSON.stringify({ error: { problem, message: reason } })}\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json; charset=utf-8\r\n' +
      `X-Porte-Voix-Problem: ${problem}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  )
}

/**
 * HTTP: `GET /health` for monitoring, the JSON API under `/api/v1/`; WebSocket upgrades are
 * authorized first and only then handed to ws (noServer mode), so a refused client never gets a
 * WebSocket at all.
 */
export function createHttpServer(options: HttpServerOptions): {
  server: Server
  wss: WebSocketServer
} {
  const { log } = options
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    // Compression would let a small frame inflate past maxPayload checks' intent; not worth it.
    perMessageDeflate: false,
  })
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/health') {
      const body = JSON.stringify({ ok: true, ...options.health() })
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(body)
      return
    }
    if (req.method === 'GET' && path === '/metrics' && options.metrics) {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' })
      res.end(options.metrics())
      return
    }
    if (options.api?.(req, res)) return
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
  })
  server.on('clientError', (error, socket) => {
    log.warn('bad HTTP request', { error: error.message })
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })
  // One listener for every socket: a closure made in the upgrade handler would share its scope
  // (req, head) and keep the request alive as long as the WebSocket (~1 KiB per connection).
  const onUpgradeSocketError = (error: Error) =>
    log.warn('socket error during upgrade', { error: error.message })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', onUpgradeSocketError)
    // The remote address (a getpeername call and a string) only for the log lines that name it.
    const decide = (decision: Authorization) => {
      const refusal = decision.ok ? (options.admit?.(decision) ?? null) : decision
      if (refusal) {
        log.warn('connection refused', {
          remote: remoteOf(req),
          status: refusal.status,
          reason: refusal.reason,
          problem: refusal.problem,
        })
        refuse(socket, refusal)
        return
      }
      if (!decision.ok) return
      wss.handleUpgrade(req, socket, head, (ws) => {
        // ws listens for the socket's errors from here on: ours would stay for the socket's
        // life and turn its one `error` listener into an array (idle memory, issue 11.3).
        socket.off('error', onUpgradeSocketError)
        options.onConnection(ws, decision, req)
      })
    }
    const failed = (error: unknown) => {
      log.error('upgrade failed', { remote: remoteOf(req), error: (error as Error).message })
      refuse(socket, { status: 500, reason: 'internal error', problem: 'internal' })
    }
    let now: Authorization | null
    try {
      now = options.authorizeNow?.(req) ?? null
    } catch (error) {
      failed(error)
      return
    }
    if (now) decide(now)
    else options.authorize(req).then(decide, failed)
  })
  return { server, wss }
}
