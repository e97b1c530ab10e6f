import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkspace, invite } from '../../sync-server/admin/admin'
import { type ListeningChild, spawnUntilListening, tempDir } from '../helpers/process'
import { RawClient, roomUrl } from './support'

const ROOT = resolve(import.meta.dirname, '..', '..')

/**
 * `npm run build:relay` into a folder of this test's own (inside the repo, so the bundle's
 * external packages resolve from node_modules), with the exact command package.json runs.
 */
function buildRelay(): string {
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<
    string,
    string
  >
  expect(scripts.relay).toBe('node out/relay/main.js')
  expect(scripts.build).toContain('npm run build:relay')
  const parts = (scripts['build:relay'] ?? '').split(/\s+/)
  expect(parts[0]).toBe('esbuild')
  const out = mkdtempSync(join(ROOT, 'out', 'test-hosts', 'relay-'))
  const args = parts.slice(1).map((a) => (a.startsWith('--outdir=') ? `--outdir=${out}` : a))
  const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'esbuild'), args, {
    cwd: ROOT,
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`build:relay failed: ${result.stderr}`)
  return out
}

let built: string | undefined
let relay: ListeningChild | undefined

afterAll(async () => {
  await relay?.signal('SIGTERM')
  if (built) rmSync(built, { recursive: true, force: true })
})

describe('the production relay (built JavaScript on plain Node)', () => {
  it('starts from out/relay without a TypeScript loader and serves documents, /health and /metrics', async () => {
    built = buildRelay()
    const dataDir = tempDir('porte-voix-relay-')
    const help = execFileSync(process.execPath, [join(built, 'admin', 'cli.js'), '--help'], {
      encoding: 'utf8',
    })
    expect(help).toMatch(/invite/)

    relay = await spawnUntilListening({
      name: 'built relay',
      args: [join(built, 'main.js'), '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      listening: /porte-voix relay listening on ws:\/\/([^\s:]+):(\d+)/,
      timeoutMs: 30_000,
    })
    const cmdline = readFileSync(`/proc/${relay.pid}/cmdline`, 'utf8').split('\0')
    expect(cmdline.join(' ')).not.toMatch(/tsx/)
    // No TypeScript loader in the process: none of its modules came from tsx.
    const maps = readFileSync(`/proc/${relay.pid}/maps`, 'utf8')
    expect(maps).not.toMatch(/node_modules\/tsx/)

    const port = Number(relay.match[2])
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as unknown
    expect(health).toMatchObject({ ok: true, rooms: 0, connections: 0 })

    const workspaceId = (await createWorkspace(dataDir, { name: 'Acme' })).id
    const secret = readFileSync(join(dataDir, 'secret'), 'utf8').trim()
    const { token } = await invite(
      dataDir,
      {
        workspaceId,
        name: 'Noor',
        role: 'champion',
        ttlSeconds: 3600,
        relayUrl: `ws://127.0.0.1:${port}`,
      },
      { ...process.env, PORTE_VOIX_RELAY_SECRET: secret },
    )
    const url = roomUrl(`ws://127.0.0.1:${port}`, workspaceId, 'queue', token)
    const writer = await RawClient.connect(url)
    await writer.sync()
    writer.doc.getText('t').insert(0, 'built')
    await writer.sync()
    const reader = await RawClient.connect(url)
    await reader.sync()
    expect(reader.doc.getText('t').toString()).toBe('built')
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(metrics).toMatch(/^porte_voix_relay_connections 2$/m)

    await relay.signal('SIGTERM')
    expect(await relay.exited).toEqual({ code: 0, signal: null })
    expect((await writer.closed).code).toBe(1012)
    await reader.closed
  })
})
