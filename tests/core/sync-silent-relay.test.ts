import type { AddressInfo } from 'node:net'
import { createServer, type Socket, connect as tcpConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../main/core/store/database'
import { DocLog } from '../../main/core/store/doc-log'
import { WorkspaceSync } from '../../main/core/sync/workspace-sync'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

/**
 * A TCP proxy in front of the relay that can go silent: open connections stay open but nothing
 * is forwarded either way (a dead route), and new connections are dropped at once.
 */
async function silentableProxy(target: URL) {
  let silent = false
  let accepted = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    if (silent) return void client.destroy()
    accepted++
    const upstream = tcpConnect(Number(target.port), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    client.on('data', (chunk) => !silent && upstream.write(chunk))
    upstream.on('data', (chunk) => !silent && client.write(chunk))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted: () => accepted,
    setSilent: (value: boolean) => {
      silent = value
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

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
    const proxy = await silentableProxy(new URL(relay.url))
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
