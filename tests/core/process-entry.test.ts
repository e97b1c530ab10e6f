import { MessageChannel } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { CoreClient, type Transport } from '../../common/contract/client'
import { ChildMessage } from '../../main/core/process-protocol'
import { fakeInvitation } from '../helpers/core'
import { mainPortLike, type ParentPortListener } from '../helpers/parent-port'
import { tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

/**
 * The utility-process entry, driven the way Electron drives it: messages on process.parentPort
 * (events shaped `{ data, ports }`) and MessagePorts for windows. Node's MessagePort stands in
 * for MessagePortMain behind a small adapter.
 */
describe('process entry (utility process)', () => {
  it('opens the core on request and serves windows over transferred ports', async () => {
    const toParent: unknown[] = []
    const listeners: ParentPortListener[] = []
    const parentPort = {
      on: (_event: 'message', listener: ParentPortListener) => listeners.push(listener),
      postMessage: (message: unknown) => toParent.push(message),
    }
    Object.assign(process, { parentPort })
    await import('../../main/core/process-entry')
    const send = (data: unknown, ports: unknown[] = []) => {
      for (const listener of listeners) listener({ data, ports })
    }

    send({ type: 'bogus' })
    const dataDir = tempDir('pv-entry-')
    send({ type: 'open', dataDir })
    const { port1, port2 } = new MessageChannel()
    send({ type: 'attach' }, [mainPortLike(port2)])
    await waitFor('ready', () => toParent.length > 0)
    expect(ChildMessage.parse(toParent[0])).toEqual({ type: 'ready' })

    const transport: Transport = {
      send: (text) => port1.postMessage(text),
      onMessage: (listener) => port1.on('message', (data: unknown) => listener(String(data))),
      onClose: (listener) => port1.on('close', () => listener('closed')),
    }
    const client = new CoreClient(transport)
    expect((await client.call('status.get', {})).session).toBeNull()
    const session = await client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'champion' }),
    })
    expect(session.role).toBe('champion')
    port1.close()
  })
})
