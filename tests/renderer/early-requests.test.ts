import { describe, expect, it } from 'vitest'
import { CoreClient } from '../../common/contract/client'
import { bootChunk, earlyBoot } from '../../renderer/build/early-boot'
import { bufferedTransport, EARLY_REQUESTS, FIRST_SCREEN } from '../../renderer/src/boot'

/** A connection whose far side the test plays: it sees what is sent and pushes frames back. */
function connection() {
  const sent: string[] = []
  let push: (text: string) => void = () => {}
  let close: (reason: string) => void = () => {}
  return {
    sent,
    push: (text: string) => push(text),
    close: (reason: string) => close(reason),
    side: {
      send: (text: string) => sent.push(text),
      listen: (onText: (text: string) => void, onClose: (reason: string) => void) => {
        push = onText
        close = onClose
      },
    },
  }
}

const settings = {
  networks: ['linkedin'],
  nudgesPaused: false,
  mastodonInstance: null,
  timeZone: null,
  quietHours: null,
  language: 'system',
  theme: 'system',
}

describe('the popover’s first requests, sent before the app is loaded (issue 7.8)', () => {
  it('asks for the first screen, the status and the settings, in that order, ids 1–3', () => {
    expect(EARLY_REQUESTS.map(({ id, method }) => [id, method])).toEqual([
      [1, 'queue.forMe'],
      [2, 'status.get'],
      [3, 'settings.get'],
    ])
    expect(EARLY_REQUESTS[0].params).toEqual({ limit: FIRST_SCREEN })
  })

  it('keeps answers that came before the client, then validates and delivers them once adopted', async () => {
    const far = connection()
    const transport = bufferedTransport(far.side)
    // The core answered while react-dom was still loading: nobody listens yet.
    far.push(JSON.stringify({ t: 'res', id: 3, ok: true, result: settings }))
    far.push(JSON.stringify({ t: 'res', id: 1, ok: true, result: [] }))
    const client = new CoreClient(transport)
    const forMe = client.adopt(1, 'queue.forMe')
    const got = client.adopt(3, 'settings.get')
    await expect(forMe).resolves.toEqual([])
    await expect(got).resolves.toMatchObject({ language: 'system', networks: ['linkedin'] })
    // A frame after the hand-over goes straight through; the client's own ids follow the early ones.
    const status = client.adopt(2, 'status.get')
    far.push(
      JSON.stringify({ t: 'res', id: 2, ok: false, error: { code: 'internal', message: 'x' } }),
    )
    await expect(status).rejects.toMatchObject({ code: 'internal' })
    void client.call('queue.forMe', {}).catch(() => {})
    expect(JSON.parse(far.sent.at(-1) ?? '{}')).toMatchObject({ id: 4, method: 'queue.forMe' })
  })

  it('rejects a malformed early answer as the client rejects any other', async () => {
    const far = connection()
    const transport = bufferedTransport(far.side)
    far.push(JSON.stringify({ t: 'res', id: 3, ok: true, result: { language: 'klingon' } }))
    const client = new CoreClient(transport)
    await expect(client.adopt(3, 'settings.get')).rejects.toMatchObject({ code: 'internal' })
  })

  it('says a connection closed before the hand-over, after the answers it kept', async () => {
    const far = connection()
    const transport = bufferedTransport(far.side)
    far.push(JSON.stringify({ t: 'res', id: 1, ok: true, result: [] }))
    far.close('1006')
    const client = new CoreClient(transport)
    const forMe = client.adopt(1, 'queue.forMe')
    const status = client.adopt(2, 'status.get')
    await expect(forMe).resolves.toEqual([])
    await expect(status).rejects.toMatchObject({ code: 'unavailable' })
  })
})

describe('the boot chunk in the built page', () => {
  const bundle = {
    'assets/index-a.js': {
      type: 'chunk' as const,
      isEntry: true,
      name: 'index',
      fileName: 'assets/index-a.js',
    },
    'assets/boot-b.js': {
      type: 'chunk' as const,
      isEntry: true,
      name: 'boot',
      fileName: 'assets/boot-b.js',
    },
    'assets/x.css': { type: 'asset' as const, fileName: 'assets/x.css' },
  }

  it('is found by its input name and put in the head as an async module script', () => {
    expect(bootChunk(bundle)).toBe('assets/boot-b.js')
    const hook = earlyBoot().transformIndexHtml as {
      order: string
      handler: (html: string, context: { bundle?: unknown }) => unknown
    }
    expect(hook.order).toBe('post')
    expect(hook.handler('', { bundle })).toEqual([
      {
        tag: 'script',
        attrs: { type: 'module', async: true, crossorigin: true, src: './assets/boot-b.js' },
        injectTo: 'head',
      },
    ])
    // The dev server has no bundle: the app's entry imports boot.ts itself.
    expect(hook.handler('', {})).toEqual([])
  })
})
