import path from 'node:path'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { fromBase64, ServerMessage, toBase64 } from '../../common/contract/messages'
import { insertItem, itemsMap } from '../../common/doc/queue-doc'
import { Core } from '../../main/core/core'
import { type CoreProcess, clientOf, fakeInvitation, startCore } from '../helpers/core'
import { errorOf } from '../helpers/errors'
import { makeItem } from '../helpers/items'
import { tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

/** Waits in this file have always given up after about 5 s: keep that bound. */
const POLL = { timeoutMs: 5_000 }

/** A raw socket to the host that collects replies, to send what the typed client would refuse. */
async function rawSocket(url: string) {
  const socket = new WebSocket(url)
  const replies: ServerMessage[] = []
  socket.on('message', (data) => {
    const parsed = ServerMessage.safeParse(JSON.parse(data.toString()))
    if (parsed.success) replies.push(parsed.data)
  })
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  const reply = (id: number) =>
    waitFor(`reply to ${id}`, () => replies.find((r) => r.t === 'res' && r.id === id), POLL)
  return { socket, reply }
}

describe('contract over the host (offline cores)', () => {
  let champion: CoreProcess
  let employee: CoreProcess

  beforeAll(async () => {
    ;[champion, employee] = await Promise.all([startCore(), startCore()])
    await champion.client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'champion' }),
    })
    await employee.client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'employee' }),
    })
  })
  afterAll(async () => {
    await Promise.all([champion?.stop(), employee?.stop()])
  })

  it('bad params get bad_request naming the field', async () => {
    const { socket, reply } = await rawSocket(champion.url)
    socket.send(
      JSON.stringify({
        t: 'req',
        id: 1,
        method: 'item.create',
        params: { title: '', url: 'ftp://x', objective: 'fame' },
      }),
    )
    const res = await reply(1)
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    const message = res.t === 'res' && !res.ok ? res.error.message : ''
    expect(message).toContain('item.create')
    expect(message).toMatch(/title: title is empty/)
    expect(message).toMatch(/url: must be an absolute http\(s\) URL/)
    expect(message).toMatch(/objective:/)
    socket.close()
  })

  it('unknown method gets bad_request', async () => {
    const { socket, reply } = await rawSocket(champion.url)
    socket.send(JSON.stringify({ t: 'req', id: 7, method: 'item.nuke', params: {} }))
    expect(await reply(7)).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: 'Unknown method "item.nuke"' },
    })
    socket.close()
  })

  it('an employee may read but not create items', async () => {
    const error = await errorOf(
      employee.client.call('item.create', {
        title: 'Mine',
        url: 'https://example.com',
        objective: 'awareness',
      }),
    )
    expect(error.code).toBe('forbidden')
    expect(error.message).toMatch(/champions and admins/)
    expect(await employee.client.call('queue.list', {})).toEqual([])
  })

  it('a champion works offline; not_found and not_joined are explicit', async () => {
    const item = await champion.client.call('item.create', {
      title: 'Launch',
      url: 'https://example.com/launch',
      objective: 'campaign',
      captions: { linkedin: 'We launched' },
    })
    expect((await champion.client.call('item.get', { id: item.id })).captions.linkedin).toBe(
      'We launched',
    )
    expect((await errorOf(champion.client.call('item.get', { id: 'item_missing' }))).code).toBe(
      'not_found',
    )
    const status = await champion.client.call('status.get', {})
    expect(status.sync).toBe('offline')
    expect(status.lastError).toMatch(/Cannot reach the relay/)
    const fresh = await startCore()
    try {
      expect((await errorOf(fresh.client.call('queue.list', {}))).code).toBe('not_joined')
    } finally {
      await fresh.stop()
    }
  })

  it('malformed frames do not kill the host and get answers when they can', async () => {
    const { socket, reply } = await rawSocket(champion.url)
    const garbage: (string | Buffer)[] = [
      'not json',
      '{',
      'null',
      '[]',
      '{"t":"req"}',
      '{"t":"req","id":"x","method":1}',
      '{"t":"doc","doc":"queue","data":"!!!"}',
      '{"t":"doc","doc":"nope","data":""}',
      JSON.stringify({
        t: 'doc',
        doc: 'queue',
        data: toBase64(new Uint8Array([0, 200, 200, 200])),
      }),
      JSON.stringify({ t: 'doc', doc: 'queue', data: toBase64(new Uint8Array([2, 5, 1, 2, 3])) }),
      JSON.stringify({ t: 'awareness', doc: 'queue', data: toBase64(new Uint8Array([9, 9, 9])) }),
      Buffer.from([0, 1, 2, 3]),
    ]
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + (i % 40) }, (_, k) => (i * 31 + k * 7) % 256),
      )
      garbage.push(i % 2 === 0 ? bytes.toString('latin1') : bytes)
    }
    for (const frame of garbage) socket.send(frame)
    socket.send(JSON.stringify({ t: 'req', id: 'bad', method: 'status.get', params: {} }))
    socket.send(JSON.stringify({ t: 'req', id: 42, method: 'status.get', params: 'oops' }))
    expect(await reply(42)).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    socket.send(JSON.stringify({ t: 'req', id: 43, method: 'status.get', params: {} }))
    expect(await reply(43)).toMatchObject({ ok: true })
    // Other clients are unaffected.
    expect((await champion.client.call('status.get', {})).session?.role).toBe('champion')
    socket.close()
  })
})

describe('window replicas follow the member’s rights', () => {
  function windowDoc() {
    const doc = new Y.Doc()
    const frames: string[] = []
    return { doc, frames }
  }

  function step1(doc: Y.Doc): string {
    const encoder = encoding.createEncoder()
    syncProtocol.writeSyncStep1(encoder, doc)
    return toBase64(encoding.toUint8Array(encoder))
  }

  /** Apply every sync message the core sent to a window's doc. */
  function applyAll(doc: Y.Doc, data: string[]): void {
    for (const frame of data) {
      const decoder = decoding.createDecoder(fromBase64(frame))
      syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), doc, 'core')
    }
  }

  for (const role of ['champion', 'employee'] as const) {
    it(`${role}: a window's edits to the queue ${role === 'champion' ? 'reach' : 'never reach'} the core`, async () => {
      const core = await Core.open({ dataDir: tempDir('pv-win-') })
      try {
        const client = clientOf(core)
        await client.call('workspace.join', { invitation: fakeInvitation({ role }) })
        const win = windowDoc()
        const received: string[] = []
        client.onDocMessage((message) => {
          if (message.t === 'doc') received.push(message.data)
        })
        client.send({ t: 'doc', doc: 'queue', data: step1(win.doc) })
        await waitFor('core answers sync step 1', () => received.length > 0, POLL)
        // The window creates an item in its replica and sends the update.
        const updates: Uint8Array[] = []
        win.doc.on('update', (u: Uint8Array) => updates.push(u))
        const now = new Date().toISOString()
        insertItem(
          win.doc,
          makeItem('item_from_window', {
            title: 'From a window',
            authorId: 'mem_x',
            createdAt: now,
            updatedAt: now,
          }),
        )
        for (const update of updates) {
          const encoder = encoding.createEncoder()
          syncProtocol.writeUpdate(encoder, update)
          client.send({ t: 'doc', doc: 'queue', data: toBase64(encoding.toUint8Array(encoder)) })
        }
        const marker = await client.call('status.get', {})
        expect(marker.session?.role).toBe(role)
        if (role === 'champion') {
          await waitFor(
            'window item in the core',
            () => core.store.queue.get('item_from_window') !== null,
            POLL,
          )
          // And an API edit flows back to the window's replica.
          await client.call('item.setCaption', { id: 'item_from_window', network: 'x', text: 'hi' })
          await waitFor(
            'API edit in the window',
            () => {
              applyAll(win.doc, received.splice(0))
              return (
                itemsMap(win.doc).get('item_from_window')?.get('updatedAt') !== undefined &&
                core.store.queue.get('item_from_window')?.captions.x === 'hi'
              )
            },
            POLL,
          )
        } else {
          expect(core.store.queue.list()).toEqual([])
          expect(await client.call('queue.list', {})).toEqual([])
        }
      } finally {
        await core.close()
      }
    })
  }
})

describe('the host', () => {
  it('serves static files without escaping its root and refuses foreign origins', async () => {
    const root = tempDir('pv-static-')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Porte-voix</title>')
    writeFileSync(path.join(root, 'app.js'), 'console.log(1)')
    const host = await startCore({ args: ['--static', root] })
    try {
      const base = `http://127.0.0.1:${host.port}`
      const index = await fetch(`${base}/`)
      expect(index.headers.get('content-type')).toContain('text/html')
      expect(await index.text()).toContain('Porte-voix')
      expect((await fetch(`${base}/app.js`)).headers.get('content-type')).toContain('javascript')
      // Unknown paths fall back to the app (client-side routes); traversal is refused.
      expect(await (await fetch(`${base}/studio/items`)).text()).toContain('Porte-voix')
      expect((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status).toBe(403)

      const foreign = new WebSocket(host.url, { headers: { origin: 'https://evil.example' } })
      const outcome = await new Promise<string>((resolve) => {
        foreign.once('open', () => resolve('open'))
        foreign.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)))
        foreign.once('error', (error) => resolve(error.message))
      })
      expect(outcome).toMatch(/403/)
      const own = new WebSocket(host.url, { headers: { origin: base } })
      await new Promise((resolve, reject) => {
        own.once('open', resolve)
        own.once('error', reject)
      })
      own.close()
    } finally {
      await host.stop()
    }
  })

  it('closes a connection that sends an oversized frame, and keeps serving others', async () => {
    const host = await startCore({ args: ['--max-frame-bytes', '4096'] })
    try {
      const { socket } = await rawSocket(host.url)
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
      socket.send(
        JSON.stringify({
          t: 'req',
          id: 1,
          method: 'status.get',
          params: { pad: 'x'.repeat(10_000) },
        }),
      )
      expect(await closed).toBe(1009)
      expect((await host.client.call('status.get', {})).sync).toBe('offline')
    } finally {
      await host.stop()
    }
  })

  it('stops gracefully on SIGTERM', async () => {
    const host = await startCore()
    await host.stop()
    expect(await host.exited).toEqual({ code: 0, signal: null })
  })
})

describe('settings through the contract', () => {
  it('defaults, partial updates that persist, and field-named errors', async () => {
    const dataDir = tempDir('pv-settings-')
    let core = await Core.open({ dataDir })
    try {
      const client = clientOf(core)
      expect((await client.call('settings.get', {})).theme).toBe('system')
      await client.call('settings.update', { theme: 'dark', networks: ['linkedin', 'bluesky'] })
      const error = await errorOf(
        client.call('settings.update', { quietHours: { start: '7h', end: '23:00' } }),
      )
      expect(error.code).toBe('bad_request')
      expect(error.message).toMatch(/quietHours\.start: must be a time of day as HH:MM/)
      await core.close()
      core = await Core.open({ dataDir })
      const settings = await clientOf(core).call('settings.get', {})
      expect(settings).toMatchObject({ theme: 'dark', networks: ['linkedin', 'bluesky'] })
    } finally {
      await core.close()
    }
  })
})
