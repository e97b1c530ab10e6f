import { MessageChannel } from 'node:worker_threads'
import { CoreClient, type Transport } from '../../common/contract/client'
import { ChildMessage } from '../../main/core/process-protocol'
import { fakeInvitation, publishItem } from '../helpers/core'
import { mainPortLike, type ParentPortListener } from '../helpers/parent-port'
import { tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

type OpenExternal = Extract<ChildMessage, { type: 'open-external' }>

/**
 * The core's utility-process entry (main/core/process-entry.ts) driven in this process as
 * Electron drives it (see process-entry.test.ts), on a new data dir: `openExternal` stands in
 * for main's answer to each open-external request, through `send` (a message to the core).
 * Resolves once the core is ready, with a contract client on the attached port (closing `close`).
 */
export async function driveEntry(
  dataDirPrefix: string,
  openExternal: (request: OpenExternal, send: (data: unknown) => void) => void,
): Promise<{ client: CoreClient; close(): void }> {
  const toParent: unknown[] = []
  const listeners: ParentPortListener[] = []
  const send = (data: unknown, ports: unknown[] = []) => {
    for (const listener of listeners) listener({ data, ports })
  }
  const parentPort = {
    on: (_event: 'message', listener: ParentPortListener) => listeners.push(listener),
    postMessage: (message: unknown) => {
      toParent.push(message)
      const parsed = ChildMessage.parse(message)
      if (parsed.type === 'open-external') openExternal(parsed, send)
    },
  }
  Object.assign(process, { parentPort })
  await import('../../main/core/process-entry')
  send({ type: 'open', dataDir: tempDir(dataDirPrefix) })
  const { port1, port2 } = new MessageChannel()
  send({ type: 'attach' }, [mainPortLike(port2)])
  await waitFor('ready', () => toParent.length > 0)
  const transport: Transport = {
    send: (text) => port1.postMessage(text),
    onMessage: (listener) => port1.on('message', (data: unknown) => listener(String(data))),
    onClose: (listener) => port1.on('close', () => listener('closed')),
  }
  return { client: new CoreClient(transport), close: () => port1.close() }
}

/**
 * An offline champion (its relay unreachable) with a published item captioned for X: resolves
 * with the call that shares it on X, once a call.
 */
export async function offlineXShare(client: CoreClient) {
  await client.call('workspace.join', {
    invitation: fakeInvitation({ role: 'champion', relayUrl: 'ws://127.0.0.1:9' }),
  })
  const item = await publishItem(client, 'Launch', 'x')
  return () => client.call('share.perform', { itemId: item.id, network: 'x', text: 'Read this' })
}
