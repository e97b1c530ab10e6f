/**
 * Benchmark: tracked short-link redirects (issue 9). A real relay (child process) with one
 * published item; a bounded load loop (CONCURRENCY requests in flight, keep-alive, loopback)
 * sends REQUESTS GETs of /s/<code> with a browser user agent, over 100 share ids. Prints
 * redirects per second, p50/p99 latency, and checks that the relay recorded one click per request.
 *
 *   npx tsx tests/bench/short-links.ts [requests] [concurrency]
 */
import { Agent, request } from 'node:http'
import path from 'node:path'
import Database from 'better-sqlite3'
import * as Y from 'yjs'
import { insertItem } from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { shortCode } from '../../common/share/short-link'
import { DB_FILE } from '../../sync-server/persistence/database'
import { makeItem } from '../helpers/items'
import { removeTempDir } from '../helpers/process'
import { startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { provider, synced } from '../relay/support'

const REQUESTS = Math.max(100, Number(process.argv[2] ?? 10_000))
const CONCURRENCY = Math.max(1, Number(process.argv[3] ?? 32))
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

function countRows(dataDir: string, sql: string): number {
  const db = new Database(path.join(dataDir, DB_FILE), { readonly: true })
  try {
    return (db.prepare(sql).get() as { n: number }).n
  } finally {
    db.close()
  }
}

async function main(): Promise<void> {
  const relay = await startRelay({ args: ['--public-url', 'https://go.example.test'] })
  try {
    const ws = await relay.createWorkspace('Bench')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'C', role: 'champion' })
    const champion = provider(relay.url, ws, 'queue', token, new Y.Doc())
    await synced(champion)
    insertItem(champion.doc, makeItem('item_bench', { status: 'published' }))
    await waitFor(
      'item indexed',
      () => countRows(relay.dataDir, 'SELECT COUNT(*) AS n FROM link_items') > 0,
    )
    champion.destroy()
    // The provider leaves its Awareness (y-protocols) alive, whose interval kept this bench from exiting.
    champion.awareness.destroy()
    const paths = Array.from(
      { length: 100 },
      () =>
        `/s/${shortCode({ workspaceId: ws, itemId: 'item_bench', network: 'linkedin', shareId: newShareId() })}`,
    )
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
    const get = (p: string) =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now()
        const req = request(
          { host: '127.0.0.1', port: relay.port, path: p, agent, headers: { 'user-agent': UA } },
          (res) => {
            res.resume()
            res.on('end', () => {
              if (res.statusCode !== 302) reject(new Error(`status ${res.statusCode}`))
              else resolve(performance.now() - t0)
            })
          },
        )
        req.on('error', reject)
        req.end()
      })
    const latencies: number[] = []
    let sent = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < REQUESTS) {
          const p = paths[sent % paths.length] as string
          sent++
          latencies.push(await get(p))
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    agent.destroy()
    latencies.sort((a, b) => a - b)
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
    const recorded = countRows(relay.dataDir, 'SELECT COUNT(*) AS n FROM clicks')
    const line = {
      requests: latencies.length,
      concurrency: CONCURRENCY,
      redirectsPerSecond: Math.round(latencies.length / seconds),
      p50ms: Number(at(0.5).toFixed(2)),
      p99ms: Number(at(0.99).toFixed(2)),
      recordedClicks: recorded,
      allRecorded: recorded === latencies.length,
    }
    console.log(JSON.stringify(line))
    if (!line.allRecorded) process.exitCode = 1
  } finally {
    await relay.stop()
    removeTempDir(relay.dataDir)
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
