import { afterAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { provider, RawClient, roomUrl, synced } from './support'

const DRAIN_AFTER_OBSERVED = 300
const MAX_EDITS = 5000

const relays: RelayProcess[] = []
let writer: WebsocketProvider | undefined

afterAll(async () => {
  writer?.destroy()
  for (const r of relays) await r.stop()
})

describe('relay drain on SIGTERM', () => {
  it('closes clients with 1012 mid-stream, loses nothing, and a second relay on the same data serves it all', async () => {
    const first = await startRelay()
    relays.push(first)
    const ws = await first.createWorkspace('Acme')
    const { token } = await first.issueToken({ workspaceId: ws, name: 'Ines', role: 'champion' })
    const url = roomUrl(first.url, ws, 'queue', token)

    // The writer is the real y-websocket client (it retries 1012); held back after the close so
    // the second relay's content can be checked before the writer hands anything back.
    writer = provider(first.url, ws, 'queue', token)
    const closeCodes: number[] = []
    writer.on('connection-close', (event, p) => {
      if (event) closeCodes.push(event.code)
      p.shouldConnect = false
    })
    await synced(writer)
    const observer = await RawClient.connect(url, { sendLocalUpdates: false })
    await observer.sync()

    const edits = writer.doc.getArray<number>('edits')
    const observed = () => observer.doc.getArray<number>('edits').toArray()
    let sent = 0
    const stream = (async () => {
      while (sent < MAX_EDITS && writer?.wsconnected && observer.closeEvent === null) {
        // Stay at most 200 edits ahead of the observer, so SIGTERM lands mid-stream.
        if (sent - observed().length < 200) for (let i = 0; i < 10; i++) edits.push([sent++])
        await new Promise((r) => setImmediate(r))
      }
    })()
    await waitFor('observer to receive edits', () => observed().length >= DRAIN_AFTER_OBSERVED, {
      timeoutMs: 30_000,
    })

    const stopped = first.stop()
    const close = await observer.closed
    // What the observer had when told to go: all of it must survive.
    const received = new Set(observed())
    await stream
    await stopped
    expect(close.code).toBe(1012)
    expect(await first.exited).toEqual({ code: 0, signal: null })
    await waitFor('writer told to reconnect', () => closeCodes.length > 0)
    expect(closeCodes).toEqual([1012])
    expect(first.logs()).toMatch(/draining connections/)
    expect(received.size).toBeGreaterThanOrEqual(DRAIN_AFTER_OBSERVED)
    expect(received.size).toBeLessThan(MAX_EDITS)

    // A second relay on the same data (and port, as behind a load balancer's one address).
    const second = await startRelay({ dataDir: first.dataDir, port: first.port })
    relays.push(second)
    const reader = await RawClient.connect(url, { sendLocalUpdates: false })
    await reader.sync()
    const stored = new Set(reader.doc.getArray<number>('edits').toArray())
    expect([...received].filter((edit) => !stored.has(edit))).toEqual([])

    // The writer reconnects and hands back what the first relay had not stored: every edit made.
    writer.connect()
    await waitFor(
      'every edit at the reader',
      () => reader.doc.getArray<number>('edits').length === sent,
      { timeoutMs: 30_000 },
    )
    expect(new Set(reader.doc.getArray<number>('edits').toArray()).size).toBe(sent)
    await reader.close()
  })
})
