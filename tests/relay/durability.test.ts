import { afterAll, describe, expect, it } from 'vitest'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from './support'

const TOTAL_EDITS = 1500
const KILL_AFTER_OBSERVED = 600

let relay: RelayProcess | undefined

afterAll(async () => {
  await relay?.stop()
})

describe('relay durability', () => {
  it('keeps every edit a client had received when killed with SIGKILL mid-stream', async () => {
    relay = await startRelay()
    const ws = await relay.createWorkspace('Acme')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'Wren', role: 'champion' })
    const url = roomUrl(relay.url, ws, 'queue', token)

    // Raw clients never reconnect: after the kill, nothing can hand the edits back to the relay,
    // so whatever the restarted relay has, it had on disk.
    const writer = await RawClient.connect(url)
    const observer = await RawClient.connect(url, { sendLocalUpdates: false })
    await Promise.all([writer.sync(), observer.sync()])

    const observed = () => observer.doc.getArray<number>('edits').toArray()
    let sent = 0
    const stream = (async () => {
      // Each push is its own transaction, hence its own update frame.
      while (sent < TOTAL_EDITS && writer.closeEvent === null && observer.closeEvent === null) {
        // Flow control: stay at most 200 edits ahead of the observer, so the kill lands mid-stream.
        if (sent - observed().length < 200) {
          for (let i = 0; i < 10; i++) writer.doc.getArray<number>('edits').push([sent++])
        }
        await new Promise((r) => setImmediate(r))
      }
    })()

    await waitFor('observer to receive edits', () => observed().length >= KILL_AFTER_OBSERVED, {
      timeoutMs: 30_000,
    })
    await relay.kill()
    const received = new Set(observed())
    await stream
    expect(received.size).toBeGreaterThanOrEqual(KILL_AFTER_OBSERVED)
    // The kill happened in the middle of the stream, not after it.
    expect(received.size).toBeLessThan(TOTAL_EDITS)

    const { dataDir, port } = relay
    relay = await startRelay({ dataDir, port })
    expect(relay.logs()).toMatch(/room loaded|listening/)
    const reader = await RawClient.connect(url)
    await reader.sync()
    const afterRestart = new Set(reader.doc.getArray<number>('edits').toArray())
    const lost = [...received].filter((edit) => !afterRestart.has(edit))
    expect(lost).toEqual([])
    // Edits arrive in order, so what survived is a prefix of what was sent.
    expect([...afterRestart].sort((a, b) => a - b)).toEqual(
      [...afterRestart.keys()].map((_, i) => i),
    )
    await reader.close()
    writer.ws.terminate()
    observer.ws.terminate()
  })
})
