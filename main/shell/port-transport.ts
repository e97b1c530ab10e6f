import type { MessagePortMain } from 'electron'
import type { Transport } from '../../common/contract/client'

/** The contract's Transport over an Electron MessagePortMain (main's own link to the core). */
export function messagePortTransport(port: MessagePortMain): Transport {
  const transport: Transport = {
    send: (text) => port.postMessage(text),
    onMessage: (listener) =>
      port.on('message', (event) => {
        if (typeof event.data === 'string') listener(event.data)
      }),
    onClose: (listener) => port.on('close', () => listener('port closed')),
  }
  port.start()
  return transport
}
