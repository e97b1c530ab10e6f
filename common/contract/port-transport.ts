import type { Transport } from './client'

// Its own module, without the contract's schemas: the core's utility process wraps a window's port
// with it before its first screen, which must not wait for zod's full build (main/core/start.ts).

/** The part of an Electron MessagePortMain (main, or the core's utility process) a transport uses. */
export interface NodeStylePort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  on(event: 'close', listener: () => void): void
  postMessage(message: unknown): void
  start(): void
}

/** A Transport over an Electron MessagePortMain. Start the port once listeners are attached. */
export function nodePortTransport(port: NodeStylePort): Transport {
  const transport: Transport = {
    send: (text) => port.postMessage(text),
    onMessage: (listener) =>
      port.on('message', ({ data }) => {
        if (typeof data === 'string') listener(data)
      }),
    onClose: (listener) => port.on('close', () => listener('port closed')),
  }
  return transport
}
