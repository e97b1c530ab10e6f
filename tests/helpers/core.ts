import { existsSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import WebSocket from 'ws'
import type { Params } from '../../common/contract/api'
import { CoreClient, type Transport, webSocketTransport } from '../../common/contract/client'
import type { Network } from '../../common/model/networks'
import { CORE_EXEC_ARGV, coreEnv } from '../../main/core/runtime-flags'
import { type Exit, spawnUntilListening, tempDir } from './process'
import { type WaitOptions, waitFor } from './wait'

/**
 * Start a core host as a child process (not detached), for integration tests.
 *
 *   const core = await startCore()
 *   await core.client.call('workspace.join', { invitation })
 *   …
 *   await core.stop()
 *
 * Restart on the same data: `startCore({ dataDir: core.dataDir })`.
 */
export type CoreProcess = {
  /** A client connected at start. */
  client: CoreClient
  /** ws://127.0.0.1:PORT */
  url: string
  port: number
  dataDir: string
  pid: number
  /** Another window's connection. */
  connect(): Promise<CoreClient>
  /** SIGTERM (graceful: compacts and closes SQLite), resolves when the process has exited. */
  stop(): Promise<void>
  /** SIGKILL, resolves when the process has exited. */
  kill(): Promise<void>
  logs(): string
  exited: Promise<Exit>
}

export type StartCoreOptions = {
  dataDir?: string
  /** Node/V8 flags instead of the core's own (CORE_EXEC_ARGV), e.g. to measure their effect. */
  execArgv?: readonly string[]
  /** Extra flags for the host (main/host/main.ts). */
  args?: string[]
  startTimeoutMs?: number
  /**
   * The host's environment instead of the test's (e.g. without PORTE_VOIX_ALLOW_INTERNAL_HOSTS),
   * laid over the core's own (CORE_ENV), as the app starts it.
   */
  env?: NodeJS.ProcessEnv
  /** Another node executable than the test's (benchmarks: tests/bench/node-runtime.ts). */
  node?: string
}

const ROOT = resolve(import.meta.dirname, '..', '..')
const LISTENING = /porte-voix core host listening on ws:\/\/127\.0\.0\.1:(\d+)/

/** Open a WebSocket to a core host and wrap it in the typed client. */
export async function connectCore(url: string): Promise<CoreClient> {
  const socket = new WebSocket(url)
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done())
    socket.once('error', fail)
  })
  socket.on('error', () => {})
  return new CoreClient(webSocketTransport(socket))
}

/**
 * The built dev host (main/host/main.ts bundled like the app's core, no TypeScript loader): the
 * test suite's global setup builds one per run (PORTE_VOIX_HOST_ENTRY); benchmarks and scripts
 * run the app's own build, out/main/host.js (`npm run build` first).
 */
export function hostEntry(): string {
  const entry = process.env.PORTE_VOIX_HOST_ENTRY ?? join(ROOT, 'out', 'main', 'host.js')
  if (!existsSync(entry)) {
    throw new Error(`no built core host at ${entry}: run \`npm run build\` first`)
  }
  return entry
}

export async function startCore(opts: StartCoreOptions = {}): Promise<CoreProcess> {
  const dataDir = opts.dataDir ?? tempDir('porte-voix-core-')
  let started: Awaited<ReturnType<typeof spawnUntilListening>> | undefined
  try {
    const args = [
      ...(opts.execArgv ?? CORE_EXEC_ARGV),
      hostEntry(),
      '--data-dir',
      dataDir,
      '--port',
      '0',
      // Tests restart relays: reconnect quickly.
      '--max-backoff-ms',
      '1000',
      ...(opts.args ?? []),
    ]
    started = await spawnUntilListening({
      name: 'core host',
      args,
      cwd: ROOT,
      env: coreEnv(opts.env ?? process.env),
      listening: LISTENING,
      timeoutMs: opts.startTimeoutMs ?? 30_000,
      ...(opts.node ? { command: opts.node } : {}),
    })
    const host = started
    const port = Number(host.match[1])
    const url = `ws://127.0.0.1:${port}`
    return {
      client: await connectCore(url),
      url,
      port,
      dataDir,
      pid: host.pid,
      connect: () => connectCore(url),
      stop: () => host.signal('SIGTERM'),
      kill: () => host.signal('SIGKILL'),
      logs: host.logs,
      exited: host.exited,
    }
  } catch (error) {
    // The caller gets neither the process nor the folder: stop and remove what this start made.
    await started?.signal('SIGKILL')
    if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
}

/**
 * An invitation link with an unsigned token carrying the given claims: enough for a core (which
 * never checks signatures) to work offline; any real relay refuses it.
 */
export function fakeInvitation(o: {
  role: 'employee' | 'champion' | 'admin'
  workspaceId?: string
  memberId?: string
  name?: string
  relayUrl?: string
  expiresInSeconds?: number
}): string {
  const now = Math.floor(Date.now() / 1000)
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const token = [
    encode({ alg: 'HS256', typ: 'JWT' }),
    encode({
      sub: o.memberId ?? `mem_${o.role}`,
      ws: o.workspaceId ?? 'ws_offline',
      role: o.role,
      name: o.name ?? o.role,
      iat: now,
      exp: now + (o.expiresInSeconds ?? 3600),
    }),
    'unsigned',
  ].join('.')
  const params = new URLSearchParams({ relay: o.relayUrl ?? 'ws://127.0.0.1:9', token })
  return `porte-voix://join?${params.toString()}`
}

/** A pair of in-memory transports (async delivery, like a real port), for in-process cores. */
export function memoryTransports(): { a: Transport; b: Transport; close(): void } {
  type End = { message: ((text: string) => void)[]; close: ((reason: string) => void)[] }
  const ends: [End, End] = [
    { message: [], close: [] },
    { message: [], close: [] },
  ]
  let closed = false
  const make = (self: End, other: End): Transport => ({
    send: (text) => {
      if (closed) return
      queueMicrotask(() => {
        for (const listener of other.message) listener(text)
      })
    },
    onMessage: (listener) => self.message.push(listener),
    onClose: (listener) => self.close.push(listener),
  })
  return {
    a: make(ends[0], ends[1]),
    b: make(ends[1], ends[0]),
    close: () => {
      if (closed) return
      closed = true
      for (const end of ends) for (const listener of end.close) listener('closed')
    },
  }
}

/** Attach a CoreClient to an in-process core (tests that use Core directly). */
export function clientOf(core: { attach(transport: Transport): unknown }): CoreClient {
  const pair = memoryTransports()
  core.attach(pair.b)
  return new CoreClient(pair.a)
}

/**
 * A published item captioned for `network` (the caption is its title), titled and addressed after
 * `title` (https://acme.example/<title in lower case>); `overrides` for what a test is about.
 */
export async function publishItem(
  client: CoreClient,
  title: string,
  network: Network = 'linkedin',
  overrides: Partial<Params<'item.create'>> = {},
) {
  return client.call('item.create', {
    title,
    url: `https://acme.example/${encodeURIComponent(title.toLowerCase())}`,
    objective: 'awareness',
    status: 'published',
    captions: { [network]: title },
    ...overrides,
  })
}

/**
 * Resolves once `client`'s queue (queue.forMe) holds `count` items, its sync is up to date and
 * the directory names the workspace: what a member's core has to have before sharing from the
 * workspace a test just filled. The relay writes the workspace's name and its public URL (short
 * links) into the directory together: shared before, a link is the item's own URL, not a short
 * one. While the directory lacks the workspace's entry (its first member) that batch is written
 * 50 ms after the connect (bbe4585); the readers' merge interval (1 s by default) applies only
 * once the entry is there, so this waits a few tens of milliseconds, not a second.
 */
export function queueSynced(client: CoreClient, count = 1, options?: WaitOptions) {
  return waitFor(
    `${count} item(s) in my queue, synced, the directory in`,
    async () => {
      const status = await client.call('status.get', {})
      return (
        status.sync === 'synced' &&
        (status.session?.workspaceName ?? null) !== null &&
        (await client.call('queue.forMe', {})).length === count
      )
    },
    options,
  )
}

/**
 * Asks the relay for my results (results.refresh, what My stats does when opened) until `test`
 * holds: clicks and conversions reach the relay before my core fetches them.
 */
export function refreshedUntil(client: CoreClient, what: string, test: () => Promise<boolean>) {
  return waitFor(
    what,
    async () => {
      await client.call('results.refresh', {})
      return (await test()) ? true : null
    },
    { timeoutMs: 20_000 },
  )
}
