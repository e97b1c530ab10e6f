import { CORE_PORT_MESSAGE, type DesktopBridge } from '../../common/contract/desktop-bridge'

declare global {
  interface Window {
    porteVoix?: DesktopBridge
  }
}

/**
 * Each window's one way to the core (issue 7.8), started as soon as this module runs (with
 * PORTE_VOIX_EARLY_BOOT=1, index.html loads it on its own, `async`, ahead of the app's entry —
 * before react-dom, zod and the app's own modules are compiled and evaluated). It reaches the
 * core (the preload's MessagePort in the app, a WebSocket under the dev host); in the popover it
 * also sends the first screen's three requests at once, so that the core answers them while the
 * rest of the page loads. Frames wait here, as text, until the app's CoreClient takes the
 * transport over (and, in the popover, adopts the requests: `adopt`). Nothing here parses or
 * trusts an answer: the client validates them with the contract, like any other.
 * No imports but a constant: this file must stay tiny.
 */

/** Rows the popover shows without scrolling, with a margin (its first `queue.forMe`). */
export const FIRST_SCREEN = 20

/** The requests sent here, in this order, with these ids; the client's own ids start after. */
export const EARLY_REQUESTS = [
  { id: 1, method: 'queue.forMe', params: { limit: FIRST_SCREEN } },
  { id: 2, method: 'status.get', params: {} },
  { id: 3, method: 'settings.get', params: {} },
] as const

/** A transport (the contract client's shape) whose incoming text waited for its listener. */
export type EarlyTransport = {
  send(text: string): void
  onMessage(listener: (text: string) => void): void
  onClose(listener: (reason: string) => void): void
}

/**
 * Wraps a connection that is open: frames received before `onMessage` is called are kept, and
 * replayed in a microtask after it (the client registers its listener in its constructor, then
 * adopts the early requests, then the answers reach it).
 */
export function bufferedTransport(connection: {
  send(text: string): void
  listen(onText: (text: string) => void, onClose: (reason: string) => void): void
}): EarlyTransport {
  let received: string[] | null = []
  let deliver: ((text: string) => void) | null = null
  let closed: string | null = null
  let onClosed: ((reason: string) => void) | null = null
  connection.listen(
    (text) => {
      if (deliver && received === null) deliver(text)
      else received?.push(text)
    },
    (reason) => {
      closed = reason
      // After the kept frames, if any are still to be delivered.
      if (onClosed && received === null) onClosed(reason)
    },
  )
  return {
    send: (text) => connection.send(text),
    onMessage(listener) {
      deliver = listener
      queueMicrotask(() => {
        const kept = received ?? []
        received = null
        for (const text of kept) listener(text)
        if (closed !== null) onClosed?.(closed)
      })
    },
    onClose(listener) {
      onClosed = listener
    },
  }
}

function sendEarlyRequests(transport: EarlyTransport): void {
  for (const request of EARLY_REQUESTS) transport.send(JSON.stringify({ t: 'req', ...request }))
}

/** In Electron: the preload hands the core's port over when asked (or when it arrives). */
function throughBridge(bridge: DesktopBridge): Promise<EarlyTransport> {
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      if (event.source !== window || event.data !== CORE_PORT_MESSAGE) return
      const [port] = event.ports
      if (!port) return
      window.removeEventListener('message', onMessage)
      const transport = bufferedTransport({
        send: (text) => port.postMessage(text),
        listen: (onText, onClose) => {
          port.addEventListener('message', (message: MessageEvent) => {
            if (typeof message.data === 'string') onText(message.data)
          })
          port.addEventListener('close', () => onClose('port closed'))
          port.start()
        },
      })
      resolve(transport)
    }
    window.addEventListener('message', onMessage)
    // An older preload posts the port by itself once the page has loaded.
    bridge.requestCorePort?.()
  })
}

/** Under the dev/test host: a WebSocket to the host's `/core` (or `?core=ws://…`). */
function overWebSocket(): Promise<EarlyTransport> {
  const explicit = new URLSearchParams(window.location.search).get('core')
  const url = explicit ?? `ws://${window.location.host}/core`
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    socket.addEventListener('error', () => reject(new Error(`Cannot reach the core at ${url}`)))
    socket.addEventListener('open', () =>
      resolve(
        bufferedTransport({
          send: (text) => socket.send(text),
          listen: (onText, onClose) => {
            socket.addEventListener('message', (event) => {
              if (typeof event.data === 'string') onText(event.data)
            })
            socket.addEventListener('close', (event) =>
              onClose(`${event.code} ${event.reason}`.trim()),
            )
          },
        }),
      ),
    )
  })
}

/** The studio window (index.html#studio) asks for its own data; the popover's first screen is sent here. */
export const isStudioWindow = (hash: string): boolean => hash === '#studio'

/**
 * This window's connection to the core, started when this module runs — the only place a window
 * connects (the popover's entry and the studio's mount both take it over). In the popover the
 * first screen's requests have been sent on it when it resolves. Null outside a browser (tests).
 */
export const earlyConnection: Promise<EarlyTransport> | null =
  typeof window === 'undefined'
    ? null
    : (window.porteVoix ? throughBridge(window.porteVoix) : overWebSocket()).then((transport) => {
        if (!isStudioWindow(window.location.hash)) sendEarlyRequests(transport)
        return transport
      })
// Failing to connect is said by the window's entry, which awaits this; not an unhandled rejection.
earlyConnection?.catch(() => {})
