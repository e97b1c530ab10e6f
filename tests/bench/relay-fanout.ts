/**
 * Relay propagation benchmark: `npx tsx tests/bench/relay-fanout.ts`
 *
 * A real relay process; one writer and N observers on one room, all in this process (so one
 * clock). The writer sends EDITS small updates at a steady rate; each observer records when each
 * edit arrives. Prints p50/p95/p99 of writer→observer latency (includes the SQLite commit that
 * precedes every broadcast) for N = 1 and N = OBSERVERS.
 */
import { readFileSync } from 'node:fs'
import * as decoding from 'lib0/decoding'
import { MESSAGE_SYNC, SYNC_UPDATE } from '../../sync-server/protocol/messages'
import { startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from '../relay/support'

const EDITS = Number(process.env.EDITS ?? 1000)
const OBSERVERS = Number(process.env.OBSERVERS ?? 200)
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 2)

/** CPU time (ms) used so far by a process, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function run(observerCount: number): Promise<void> {
  const relay = await startRelay()
  try {
    const ws = await relay.createWorkspace('Bench')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'Bench', role: 'champion' })
    const url = roomUrl(relay.url, ws, 'queue', token)
    const writer = await RawClient.connect(url)
    await writer.sync()
    const sentAt = new Map<number, number>()
    const latencies: number[] = []
    const observers = await Promise.all(
      Array.from({ length: observerCount }, async () => {
        const client = await RawClient.connect(url, { sendLocalUpdates: false })
        await client.sync()
        // Updates are broadcast in the order they were sent: the k-th one received is edit k.
        // Timestamp on arrival of the raw frame, before any Yjs work in this shared process.
        let received = 0
        client.ws.on('message', (data: Buffer) => {
          const now = performance.now()
          const d = decoding.createDecoder(new Uint8Array(data))
          if (decoding.readVarUint(d) !== MESSAGE_SYNC || decoding.readVarUint(d) !== SYNC_UPDATE)
            return
          const started = sentAt.get(received++)
          if (started !== undefined) latencies.push(now - started)
        })
        return client
      }),
    )
    const cpuStart = cpuMs(relay.pid)
    const wallStart = performance.now()
    for (let i = 0; i < EDITS; i++) {
      sentAt.set(i, performance.now())
      writer.doc.getArray<number>('a').push([i])
      await new Promise((r) => setTimeout(r, INTERVAL_MS))
    }
    await waitFor('all deliveries', () => latencies.length >= EDITS * observerCount, {
      timeoutMs: 120_000,
    })
    const wall = performance.now() - wallStart
    const relayCpu = cpuMs(relay.pid) - cpuStart
    const sorted = [...latencies].sort((a, b) => a - b)
    console.log(
      `observers=${String(observerCount).padStart(4)} edits=${EDITS} deliveries=${latencies.length} ` +
        `p50=${percentile(sorted, 50).toFixed(2)} ms p95=${percentile(sorted, 95).toFixed(2)} ms ` +
        `p99=${percentile(sorted, 99).toFixed(2)} ms rate=${((EDITS / wall) * 1000).toFixed(0)} edits/s ` +
        `relay CPU=${relayCpu.toFixed(0)} ms (${((relayCpu * 1000) / latencies.length).toFixed(1)} µs/delivery)`,
    )
    for (const o of observers) o.ws.terminate()
    writer.ws.terminate()
  } finally {
    await relay.stop()
  }
}

console.log(
  `relay propagation (node ${process.version}); clients share this process, so latencies are upper bounds`,
)
await run(1)
await run(OBSERVERS)
