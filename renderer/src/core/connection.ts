import { CoreClient, type Transport, webSocketTransport } from '../../../common/contract/client'
import { CORE_PORT_MESSAGE, type DesktopBridge } from '../../../common/contract/desktop-bridge'

declare global {
  interface Window {
    porteVoix?: DesktopBridge
  }
}

function portTransport(port: MessagePort): Transport {
  const transport: Transport = {
    send: (text) => port.postMessage(text),
    onMessage: (listener) =>
      port.addEventListener('message', (event: MessageEvent) => {
        if (typeof event.data === 'string') listener(event.data)
      }),
    onClose: (listener) => port.addEventListener('close', () => listener('port closed')),
  }
  port.start()
  return transport
}

/** In Electron the preload hands over a MessagePort to the core. */
function connectThroughBridge(): Promise<CoreClient> {
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      if (event.source !== window || event.data !== CORE_PORT_MESSAGE) return
      const [port] = event.ports
      if (!port) return
      window.removeEventListener('message', onMessage)
      resolve(new CoreClient(portTransport(port)))
    }
    window.addEventListener('message', onMessage)
    // The preload keeps the port until the page asks (an older one posts it at did-finish-load).
    window.porteVoix?.requestCorePort?.()
  })
}

/** Under the dev/test host the page reaches the core over a WebSocket (`?core=ws://…`). */
function connectOverWebSocket(): Promise<CoreClient> {
  const explicit = new URLSearchParams(window.location.search).get('core')
  const url = explicit ?? `ws://${window.location.host}/core`
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    socket.addEventListener('open', () => resolve(new CoreClient(webSocketTransport(socket))))
    socket.addEventListener('error', () => reject(new Error(`Cannot reach the core at ${url}`)))
  })
}

export function connectToCore(): Promise<CoreClient> {
  return window.porteVoix ? connectThroughBridge() : connectOverWebSocket()
}
