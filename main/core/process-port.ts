import type { NodeStylePort, Transport } from '../../common/contract/client'

/**
 * A window's MessagePort as a Transport in the core's utility process: common/contract/client.ts's
 * nodePortTransport, repeated here because that module loads the contract's schemas (zod's full
 * build), which the first screen must not wait for (start.ts). Same behaviour: text frames only.
 */
export function portTransport(port: NodeStylePort): Transport {
  return {
    send: (text) => port.postMessage(text),
    onMessage: (listener) =>
      port.on('message', ({ data }) => {
        if (typeof data === 'string') listener(data)
      }),
    onClose: (listener) => port.on('close', () => listener('port closed')),
  }
}
