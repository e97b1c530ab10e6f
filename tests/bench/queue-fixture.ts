/**
 * For the popover and core-memory benchmarks: an employee's data directory holding a synced
 * 1,000-item queue, prepared once through a relay and a champion core, copied for each run.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NewItem } from '../../common/model/item'
import { startCore } from '../helpers/core'
import { startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

const OBJECTIVES = ['awareness', 'campaign', 'talent'] as const
const TOPICS = ['product', 'events', 'culture', 'engineering', 'hiring', 'customers', 'research']

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** Resident set size of a process in MiB, from the kernel's own accounting. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN)
  return kib / 1024
}

export type QueueFixture = {
  /** A fresh copy of the employee's data directory; the caller removes it. */
  copy(): string
  stop(): Promise<void>
}

export async function prepareQueue(items: number): Promise<QueueFixture> {
  const relay = await startRelay()
  const workspaceId = await relay.createWorkspace('Bench')
  const [champion, employee] = await Promise.all([startCore(), startCore()])
  await champion.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
  })
  await employee.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
  })
  const campaign = await champion.client.call('campaign.create', {
    name: 'Q3 launch',
    objective: 'campaign',
    goalMetric: 'sign-ups',
    goalTarget: 3000,
    deadline: new Date(Date.now() + 10 * 86_400_000).toISOString(),
  })
  const started = Date.now()
  for (let batch = 0; batch < items; batch += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, items - batch) }, async (_, offset) => {
        const n = batch + offset
        const objective = OBJECTIVES[n % OBJECTIVES.length] ?? 'awareness'
        const item: NewItem = {
          title: `Item ${n}: what our teams shipped this week, and why it matters to customers`,
          url: `https://example.com/news/${n}?ref=bench`,
          source: 'Acme blog',
          objective,
          topics: [TOPICS[n % TOPICS.length] ?? 'product', TOPICS[(n * 3) % TOPICS.length] ?? 'x'],
          why: 'A short note on why this matters and who inside is involved.',
          captions: {
            linkedin: `Proud of the team behind item ${n}. {{your take}}`,
            x: `Item ${n} is out`,
          },
          status: 'published',
          priority: n % 100,
          campaignId: objective === 'campaign' ? campaign.id : null,
        }
        await champion.client.call('item.create', item)
      }),
    )
  }
  process.stderr.write(`prepared ${items} items in ${Date.now() - started} ms; syncing…\n`)
  await waitFor(
    `${items} items at the employee`,
    async () => (await employee.client.call('queue.forMe', {})).length === items,
    { timeoutMs: 180_000, intervalMs: 500 },
  )
  await employee.stop() // graceful: compacted and closed
  // PV_BENCH_KEEP=DIR keeps a copy of the prepared data, for probing runs by hand.
  const keep = process.env.PV_BENCH_KEEP
  if (keep) cpSync(employee.dataDir, keep, { recursive: true })
  const template = mkdtempSync(join(tmpdir(), 'porte-voix-bench-template-'))
  cpSync(employee.dataDir, template, { recursive: true })
  await champion.stop()
  rmSync(champion.dataDir, { recursive: true, force: true })
  rmSync(employee.dataDir, { recursive: true, force: true })
  return {
    copy: () => {
      const dir = mkdtempSync(join(tmpdir(), 'porte-voix-bench-run-'))
      cpSync(template, dir, { recursive: true })
      return dir
    },
    stop: async () => {
      await relay.stop()
      rmSync(relay.dataDir, { recursive: true, force: true })
      rmSync(template, { recursive: true, force: true })
    },
  }
}
