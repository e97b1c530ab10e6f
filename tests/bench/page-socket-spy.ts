import type { IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'

/**
 * The page-side probe of the popover benches (popover-first-paint.ts, popover-page.ts): times of
 * the page's WebSocket to the core, by the page's clock, in `window.__pvBench`. Bench-only: an
 * init script wraps the page's WebSocket before the bundle runs.
 */

/** What the spy records, ms from the page's timeOrigin (absent until it happened). */
export type SocketTimes = {
  /** The WebSocket to the core created (the first one). */
  socketCreated?: number
  /** That socket open (the first to open). */
  wsOpen?: number
  /** Any first frame from the core. */
  firstAnswer?: number
  /** The first `queue.forMe` request sent. */
  forMeSent?: number
  /** Its answer received. */
  forMeAnswered?: number
}

/**
 * For `context.addInitScript(webSocketSpy)`. Serialised into the page: self-contained, and no
 * named helpers inside (tsx's __name wrapper does not exist in the page).
 */
export function webSocketSpy(): void {
  const times: Record<string, number> = {}
  Object.defineProperty(window, '__pvBench', { value: times })
  const Native = window.WebSocket
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      times.socketCreated ??= performance.now()
      super(url, protocols)
      this.addEventListener('open', () => {
        times.wsOpen ??= performance.now()
      })
      let forMeId: number | null = null
      const send = this.send.bind(this)
      this.send = (data) => {
        if (forMeId === null && typeof data === 'string' && data.includes('"queue.forMe"')) {
          forMeId = (JSON.parse(data) as { id: number }).id
          times.forMeSent = performance.now()
        }
        send(data)
      }
      this.addEventListener('message', (event: MessageEvent) => {
        times.firstAnswer ??= performance.now()
        if (forMeId !== null && times.forMeAnswered === undefined) {
          if (String(event.data).startsWith(`{"t":"res","id":${forMeId},`)) {
            times.forMeAnswered = performance.now()
          }
        }
      })
    }
  }
}

/**
 * The window server's side of that socket: an upgrade request on the page's origin piped to
 * the core's port, request line and headers as they came (the page's origin is what the core
 * allows).
 */
export function pipeUpgrade(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  corePort: number,
): void {
  const upstream = connect(corePort, '127.0.0.1')
  upstream.on('error', () => socket.destroy())
  let request = `${req.method} ${req.url} HTTP/1.1\r\n`
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    request += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`
  }
  upstream.write(`${request}\r\n`)
  if (head.length > 0) upstream.write(head)
  socket.pipe(upstream).pipe(socket)
}
