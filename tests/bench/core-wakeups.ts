/**
 * Timer wake-ups of a joined core at rest, on the real clock: `npx tsx tests/bench/core-wakeups.ts`
 *
 * A real relay (child process) with one workspace; an employee's core (in this process, system
 * clock) joins it, syncs, and then does nothing for DURATION_S seconds. Node's global setTimeout /
 * setInterval are wrapped before the core starts, so every timer callback in this process is
 * counted, whoever armed it (the core's clock, y-websocket, y-protocols' Awareness, anything),
 * and attributed to the first non-Node frame of the stack that armed it. Waiting on the bench's
 * own waitFor is excluded (armed before the rest window). Reported per day (× 86,400 / DURATION_S).
 * Socket wake-ups (the relay's heartbeats) are I/O, not timers, and are not counted here.
 */
import { Core } from '../../main/core/core'
import { removeTempDir, tempDir } from '../helpers/process'
import { startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

const DURATION_S = Number(process.env.DURATION_S ?? 60)

const fired = new Map<string, number>()
let counting = false

/** Who armed this timer: a package under node_modules, or a file of ours. */
function origin(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(3)
  for (const line of lines) {
    // The core's clock is a pass-through: its caller is what armed the timer.
    if (/node:internal|core-wakeups\.ts|lifecycle\/clock\.ts|nudges\/clock-jumps\.ts/.test(line))
      continue
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*?):\d+:\d+/.exec(line)
    if (pkg) return `${pkg[1]} ${pkg[2]}`
    const own = /\/work\/[^/]+\/(?:main\/)?((?:main|common|tests)\/[^:]+):\d+/.exec(line)
    if (own) return own[1] ?? line.trim()
  }
  return 'unknown'
}

type TimerFn = (...args: unknown[]) => void
function counted(fn: unknown, label: string): unknown {
  if (typeof fn !== 'function') return fn
  return (...args: unknown[]) => {
    if (counting) fired.set(label, (fired.get(label) ?? 0) + 1)
    ;(fn as TimerFn)(...args)
  }
}

const realSetTimeout = globalThis.setTimeout
const realSetInterval = globalThis.setInterval
function install(): void {
  const st = (fn: unknown, ms?: number, ...rest: unknown[]) =>
    realSetTimeout(counted(fn, `setTimeout ${origin()}`) as TimerFn, ms, ...rest)
  const si = (fn: unknown, ms?: number, ...rest: unknown[]) =>
    realSetInterval(counted(fn, `setInterval(${ms} ms) ${origin()}`) as TimerFn, ms, ...rest)
  globalThis.setTimeout = Object.assign(st, realSetTimeout) as unknown as typeof setTimeout
  globalThis.setInterval = Object.assign(si, realSetInterval) as unknown as typeof setInterval
}

async function main(): Promise<void> {
  const relay = await startRelay()
  const dataDir = tempDir('pv-bench-wake-')
  install()
  const core = await Core.open({ dataDir })
  try {
    const ws = await relay.createWorkspace('Acme')
    await core.join(await relay.invite({ workspaceId: ws, name: 'Émile', role: 'employee' }))
    await waitFor('synced', () => core.status().sync === 'synced', { timeoutMs: 30_000 })
    // Let the start's one-off timers (queue rebuild, first plan) pass.
    await new Promise((resolve) => realSetTimeout(resolve, 3_000))
    counting = true
    await new Promise((resolve) => realSetTimeout(resolve, DURATION_S * 1000))
    counting = false
  } finally {
    await core.close()
    await stopRelay(relay)
    removeTempDir(dataDir)
  }
  const perDay = (n: number) => Math.round((n * 86_400) / DURATION_S)
  let total = 0
  console.log(`| armed by | wake-ups in ${DURATION_S} s | per day |`)
  console.log('| --- | ---: | ---: |')
  for (const [label, n] of [...fired].sort((a, b) => b[1] - a[1])) {
    total += n
    console.log(`| ${label} | ${n} | ${perDay(n).toLocaleString('en')} |`)
  }
  console.log(`| total | ${total} | ${perDay(total).toLocaleString('en')} |`)
}

void main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
