import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { JOURNAL_FILE } from '../../sync-server/storage/sqlite/journal'
import { onClusterBackend, type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from './support'

const ROOMS = 4
const EDITS_PER_ROOM = 400
const KILL_AFTER_OBSERVED = 600

let relay: RelayProcess | undefined

afterAll(async () => {
  await relay?.stop()
})

// tests/relay/durability is the same kill without the journal (and on Redis + PostgreSQL).
describe('relay durability with the update journal (--update-journal on)', () => {
  it.skipIf(onClusterBackend())(
    'keeps every edit a client had received when killed with SIGKILL mid-stream of 1,600 edits over 4 rooms, from the journal alone',
    async () => {
      relay = await startRelay({ args: ['--update-journal', 'on'] })
      // One queue per workspace: four rooms.
      const urls: string[] = []
      for (let r = 0; r < ROOMS; r++) {
        const workspace = await relay.createWorkspace(`Acme ${r}`)
        const { token } = await relay.issueToken({
          workspaceId: workspace,
          name: `Wren ${r}`,
          role: 'champion',
        })
        urls.push(roomUrl(relay.url, workspace, 'queue', token))
      }
      // Raw clients never reconnect: whatever the restarted relay has, it had on disk.
      const pairs = await Promise.all(
        urls.map(async (url) => {
          const writer = await RawClient.connect(url)
          const observer = await RawClient.connect(url, { sendLocalUpdates: false })
          await Promise.all([writer.sync(), observer.sync()])
          return { url, writer, observer, sent: 0 }
        }),
      )
      const observed = (o: RawClient) => o.doc.getArray<number>('edits').toArray()
      const total = () => pairs.reduce((n, p) => n + observed(p.observer).length, 0)
      const stream = (async () => {
        const open = () =>
          pairs.some((p) => p.sent < EDITS_PER_ROOM && p.writer.closeEvent === null)
        while (open()) {
          for (const p of pairs) {
            if (p.writer.closeEvent !== null || p.observer.closeEvent !== null) continue
            // Flow control: at most 100 edits ahead of the observer, so the kill lands mid-stream.
            if (p.sent < EDITS_PER_ROOM && p.sent - observed(p.observer).length < 100)
              for (let i = 0; i < 5; i++) p.writer.doc.getArray<number>('edits').push([p.sent++])
          }
          await new Promise((r) => setImmediate(r))
        }
      })()
      await waitFor('observers to receive edits', () => total() >= KILL_AFTER_OBSERVED, {
        timeoutMs: 60_000,
      })
      await relay.kill()
      const received = pairs.map((p) => new Set(observed(p.observer)))
      await stream
      const receivedCount = received.reduce((n, r) => n + r.size, 0)
      expect(receivedCount).toBeGreaterThanOrEqual(KILL_AFTER_OBSERVED)
      expect(receivedCount).toBeLessThan(ROOMS * EDITS_PER_ROOM)
      const { dataDir, port } = relay
      // Writes never paused, so the journal was never folded: what survives, survives in it.
      expect(statSync(join(dataDir, JOURNAL_FILE)).size).toBeGreaterThan(0)

      relay = await startRelay({ dataDir, port, args: ['--update-journal', 'on'] })
      for (const [i, p] of pairs.entries()) {
        const reader = await RawClient.connect(p.url)
        await reader.sync()
        const afterRestart = observed(reader)
        const lost = [...(received[i] as Set<number>)].filter((e) => !afterRestart.includes(e))
        expect(lost).toEqual([])
        // In order: what survived is a prefix of what was sent.
        expect(afterRestart).toEqual(afterRestart.map((_, k) => k))
        await reader.close()
        p.writer.ws.terminate()
        p.observer.ws.terminate()
      }
      // The replay emptied the journal.
      expect(statSync(join(dataDir, JOURNAL_FILE)).size).toBe(0)
    },
    120_000,
  )
})
