import { MessageChannel } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { CoreClient, type Transport } from '../../common/contract/client'
import { ContractError } from '../../common/contract/messages'
import { ChildMessage } from '../../main/core/process-protocol'
import { fakeInvitation } from '../helpers/core'
import { rejectionOf } from '../helpers/errors'
import { mainPortLike, type ParentPortListener } from '../helpers/parent-port'
import { tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

/**
 * In the app, main opens the share page (the utility process cannot). A page that failed to open
 * must take the share back there too, as it does in the dev host: main answers each
 * `open-external` and the core waits for that answer. Driven as Electron drives the entry (see
 * process-entry.test.ts).
 */
describe('a share whose page main could not open is taken back', () => {
  it('waits for main: refused → no share, nothing to send; opened → recorded', async () => {
    const toParent: unknown[] = []
    const listeners: ParentPortListener[] = []
    let answer: string | null = 'no application can open https links'
    const send = (data: unknown, ports: unknown[] = []) => {
      for (const listener of listeners) listener({ data, ports })
    }
    const parentPort = {
      on: (_event: 'message', listener: ParentPortListener) => listeners.push(listener),
      postMessage: (message: unknown) => {
        toParent.push(message)
        const parsed = ChildMessage.parse(message)
        // Main answers after a while, as shell.openExternal does.
        if (parsed.type === 'open-external') {
          setTimeout(() => send({ type: 'opened', id: parsed.id, error: answer }), 20)
        }
      },
    }
    Object.assign(process, { parentPort })
    await import('../../main/core/process-entry')
    send({ type: 'open', dataDir: tempDir('pv-opener-') })
    const { port1, port2 } = new MessageChannel()
    send({ type: 'attach' }, [mainPortLike(port2)])
    await waitFor('ready', () => toParent.length > 0)
    const transport: Transport = {
      send: (text) => port1.postMessage(text),
      onMessage: (listener) => port1.on('message', (data: unknown) => listener(String(data))),
      onClose: (listener) => port1.on('close', () => listener('closed')),
    }
    const client = new CoreClient(transport)
    await client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'champion', relayUrl: 'ws://127.0.0.1:9' }),
    })
    const item = await client.call('item.create', {
      title: 'Launch',
      url: 'https://acme.example/launch',
      objective: 'awareness',
      status: 'published',
      captions: { x: 'Launch' },
    })
    const share = () =>
      client.call('share.perform', { itemId: item.id, network: 'x', text: 'Read this' })

    const refused = await rejectionOf(share(), ContractError)
    expect(refused.code).toBe('unavailable')
    expect(refused.message).toMatch(/no application can open https links/)
    expect((await client.call('stats.mine', {})).total).toBe(0)
    expect((await client.call('status.get', {})).session).not.toBeNull()

    answer = null
    const done = await share()
    expect(done.shareId).toMatch(/^[0-9a-z]{20}$/)
    expect((await client.call('stats.mine', {})).total).toBe(1)
    port1.close()
  })
})
