import type { MessagePort } from 'node:worker_threads'

/**
 * The utility-process entry driven the way Electron drives it: messages on process.parentPort come
 * as events shaped `{ data, ports }`, and Node's MessagePort stands in for MessagePortMain behind
 * `mainPortLike`.
 */
export type ParentPortListener = (event: { data: unknown; ports: unknown[] }) => void

/** A Node MessagePort with MessagePortMain's surface (`on('message' | 'close')`, events `{ data }`). */
export function mainPortLike(port: MessagePort) {
  return {
    on(event: 'message' | 'close', listener: (event: { data: unknown }) => void) {
      if (event === 'message') port.on('message', (data: unknown) => listener({ data }))
      else port.on('close', () => (listener as () => void)())
    },
    postMessage: (message: unknown) => port.postMessage(message),
    start: () => port.start(),
  }
}
