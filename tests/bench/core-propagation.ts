/**
 * Edit propagation benchmark:  npx tsx tests/bench/core-propagation.ts [edits=100]
 *
 * One relay and two core processes on 127.0.0.1 (champion, employee). For each edit, the time
 * from the champion's `item.setCaption` call to the new caption being readable in the
 * employee's SQLite queue table (polled read-only, as another process would see it).
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import { DATABASE_FILE } from '../../main/core/store/database'
import { startCore } from '../helpers/core'
import { startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

const EDITS = Number(process.argv[2] ?? 100)

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

const relay = await startRelay()
const champion = await startCore()
const employee = await startCore()
try {
  const workspaceId = await relay.createWorkspace('Bench')
  await champion.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: 'Champion', role: 'champion' }),
  })
  await employee.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: 'Employee', role: 'employee' }),
  })
  const item = await champion.client.call('item.create', {
    title: 'Propagation',
    url: 'https://example.com/p',
    objective: 'awareness',
    // Only published items reach employees' cores (a draft stays in the studio).
    status: 'published',
  })
  const db = new Database(path.join(employee.dataDir, DATABASE_FILE), { readonly: true })
  const select = db.prepare<[string], { json: string }>('SELECT json FROM items WHERE id = ?')
  const caption = () => {
    const row = select.get(item.id)
    return row
      ? (JSON.parse(row.json) as { captions: { linkedin?: string } }).captions.linkedin
      : undefined
  }
  await waitFor('first item', () => select.get(item.id))

  const toTable: number[] = []
  const acks: number[] = []
  for (let i = 0; i < EDITS; i++) {
    const text = `edit ${i}`
    const started = performance.now()
    const call = champion.client.call('item.setCaption', { id: item.id, network: 'linkedin', text })
    void call.then(() => acks.push(performance.now() - started))
    // Tight poll: resolution is bounded by one SQLite read (~tens of µs).
    for (;;) {
      if (caption() === text) break
      if (performance.now() - started > 10_000) throw new Error(`edit ${i} did not arrive`)
      await new Promise((resolve) => setImmediate(resolve))
    }
    toTable.push(performance.now() - started)
    await call
  }
  db.close()
  console.log('core edit propagation benchmark (champion call → employee SQLite table, via relay)')
  console.log(`  edits: ${EDITS}`)
  console.log(
    `  champion ack:            p50 ${percentile(acks, 50).toFixed(2)} ms  p95 ${percentile(acks, 95).toFixed(2)} ms`,
  )
  console.log(
    `  employee table updated:  p50 ${percentile(toTable, 50).toFixed(2)} ms  p95 ${percentile(toTable, 95).toFixed(2)} ms  max ${Math.max(...toTable).toFixed(2)} ms`,
  )
} finally {
  await Promise.all([champion.stop(), employee.stop()])
  await relay.stop()
}
