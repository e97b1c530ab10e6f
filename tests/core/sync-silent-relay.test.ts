import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../main/core/store/database'
import { DocLog } from '../../main/core/store/doc-log'
import { WorkspaceSync } from '../../main/core/sync/workspace-sync'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { tcpProxy } from '../helpers/tcp-proxy'
import { waitFor } from '../helpers/wait'

describe('a relay that goes silent', () => {
  let relay: RelayProcess
  beforeAll(async () => {
    relay = await startRelay()
  })
  afterAll(async () => {
    if (relay) await stopRelay(relay)
  })

  // y-websocket's 3 s watchdog interval is replaced by one timeout per link re-armed by each
  // message: a link that receives nothing is still closed and reconnected.
  it('closes the silent links and reconnects once the route works again', async () => {
    const ws = await relay.createWorkspace('Silent')
    const { token, memberId } = await relay.issueToken({
      workspaceId: ws,
      name: 'Émile',
      role: 'employee',
    })
    const proxy = await tcpProxy(new URL(relay.url))
    const log: string[] = []
    const sync = new WorkspaceSync({
      session: {
        relayUrl: proxy.url,
        token,
        claims: { sub: memberId, ws, role: 'employee', name: 'Émile', iat: 0, exp: 2e9 },
        joinedAt: new Date().toISOString(),
      },
      docLog: new DocLog(openDatabase({ file: ':memory:' })),
      maxBackoffMs: 200,
      // Shorter than the relay's heartbeat: only the silence below is seen, not idleness.
      silenceTimeoutMs: 1_500,
      log: (line) => log.push(line),
    })
    try {
      await waitFor('synced', () => sync.status.sync === 'synced', { timeoutMs: 20_000 })
      const before = proxy.accepted()
      proxy.setSilent(true)
      await waitFor('links closed', () => sync.status.sync !== 'synced', { timeoutMs: 20_000 })
      expect(log.some((line) => line.includes('nothing from the relay'))).toBe(true)
      proxy.setSilent(false)
      await waitFor('synced again', () => sync.status.sync === 'synced', { timeoutMs: 20_000 })
      expect(proxy.accepted()).toBeGreaterThan(before)
    } finally {
      sync.destroy()
      await proxy.close()
    }
  }, 60_000)
})
