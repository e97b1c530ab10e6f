import { MessageChannel } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { CoreClient, type Transport } from '../../common/contract/client'
import { ContractError } from '../../common/contract/messages'
import { ChildMessage } from '../../main/core/process-protocol'
import { answerOpenExternal, type OpenPage, REFUSED_URL } from '../../main/shell/open-external'
import { fakeInvitation } from '../helpers/core'
import { rejectionOf } from '../helpers/errors'
import { mainPortLike, type ParentPortListener } from '../helpers/parent-port'
import { tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

/**
 * The app's side of a share whose page failed to open (issue 8.10): main's own answer to the
 * core's `open-external` (main/shell/open-external.ts, what core-process.ts runs around
 * shell.openExternal) decides whether the core takes the share back. Here it sits between a real
 * core entry (as Electron drives it) and an opener standing in for shell.openExternal.
 */
describe("main's answer to open-external decides whether a share is taken back", () => {
  it('a URL main refuses never reaches the opener', async () => {
    const opened: string[] = []
    const open: OpenPage = async (url) => {
      opened.push(url)
    }
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'https://a b.example/']) {
      expect(await answerOpenExternal({ id: 7, url }, open)).toEqual({
        type: 'opened',
        id: 7,
        error: REFUSED_URL,
      })
    }
    expect(opened).toEqual([])
  })

  it('open fails → the core takes the share back; open succeeds → the share is kept', async () => {
    const toParent: unknown[] = []
    const listeners: ParentPortListener[] = []
    const send = (data: unknown, ports: unknown[] = []) => {
      for (const listener of listeners) listener({ data, ports })
    }
    const opened: string[] = []
    let behaviour: 'reject' | 'throw' | 'open' = 'reject'
    const open: OpenPage = (url) => {
      opened.push(url)
      if (behaviour === 'throw') throw new Error('openExternal threw before returning')
      if (behaviour === 'reject') return Promise.reject(new Error('no application for https'))
      return Promise.resolve()
    }
    const parentPort = {
      on: (_event: 'message', listener: ParentPortListener) => listeners.push(listener),
      postMessage: (message: unknown) => {
        toParent.push(message)
        const parsed = ChildMessage.parse(message)
        if (parsed.type === 'open-external') {
          void answerOpenExternal(parsed, open).then((answer) => send(answer))
        }
      },
    }
    Object.assign(process, { parentPort })
    await import('../../main/core/process-entry')
    send({ type: 'open', dataDir: tempDir('pv-shell-open-') })
    const { port1, port2 } = new MessageChannel()
    send({ type: 'attach' }, [mainPortLike(port2)])
    await waitFor('ready', () => toParent.length > 0)
    const transport: Transport = {
      send: (text) => port1.postMessage(text),
      onMessage: (listener) => port1.on('message', (data: unknown) => listener(String(data))),
      onClose: (listener) => port1.on('close', () => listener('closed')),
    }
    const client = new CoreClient(transport)
    try {
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
      expect(refused.message).toMatch(/no application for https/)
      expect((await client.call('stats.mine', {})).total).toBe(0)

      behaviour = 'throw'
      const thrown = await rejectionOf(share(), ContractError)
      expect(thrown.message).toMatch(/openExternal threw/)
      expect((await client.call('stats.mine', {})).total).toBe(0)
      // Both attempts asked main to open the share page, and main tried.
      expect(opened).toHaveLength(2)
      expect(opened[0]).toMatch(/^https:\/\//)

      behaviour = 'open'
      const done = await share()
      expect(done.shareId).toMatch(/^[0-9a-z]{20}$/)
      expect((await client.call('stats.mine', {})).total).toBe(1)
      expect(opened).toHaveLength(3)
    } finally {
      port1.close()
    }
  })
})
