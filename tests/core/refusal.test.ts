import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { docsFor } from '../../common/doc/rooms'
import { openDatabase } from '../../main/core/store/database'
import { DocLog } from '../../main/core/store/doc-log'
import { type SyncStatus, WorkspaceSync } from '../../main/core/sync/workspace-sync'

/** A "relay" that refuses every upgrade with the given HTTP status, counting attempts. */
async function refusingServer(status: number) {
  let attempts = 0
  const server = createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (_req, socket) => {
    attempts++
    socket.end(`HTTP/1.1 ${status} Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts: () => attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('a relay that refuses the token', () => {
  for (const status of [401, 403]) {
    it(`HTTP ${status} is reported as an error and not retried hot`, async () => {
      const relay = await refusingServer(status)
      const statuses: SyncStatus[] = []
      const sync = new WorkspaceSync({
        session: {
          relayUrl: relay.url,
          token: 'aaaa.bbbb.cccc',
          claims: { sub: 'mem_1', ws: 'ws_1', role: 'employee', name: 'E', iat: 0, exp: 2e9 },
          joinedAt: new Date().toISOString(),
        },
        docLog: new DocLog(openDatabase({ file: ':memory:' })),
        maxBackoffMs: 100,
        onStatus: (s) => statuses.push(s),
      })
      try {
        const outcome = await sync.waitForSync(10_000)
        expect(sync.isRefused()).toBe(true)
        expect(outcome.sync).toBe('offline')
        expect(outcome.lastError).toContain(`HTTP ${status}`)
        // With a 100 ms backoff cap, a retrying client would have tried ~10 more times by now.
        await new Promise((resolve) => setTimeout(resolve, 1_000))
        expect(relay.attempts()).toBe(docsFor('employee').length) // one per document, once
        expect(statuses.at(-1)?.sync).toBe('offline')
      } finally {
        sync.destroy()
        await relay.close()
      }
    })
  }
})
