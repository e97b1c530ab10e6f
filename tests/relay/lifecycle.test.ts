import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { parseInvitation, readTokenClaims } from '../../common/model/invitation'
import { signToken } from '../../sync-server/auth/tokens'
import { tempDir } from '../helpers/process'
import { onClusterBackend, type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl, tryConnect } from './support'

const ROOT = resolve(import.meta.dirname, '..', '..')
const run = promisify(execFile)

let relay: RelayProcess | undefined
afterEach(async () => {
  await relay?.stop()
  relay = undefined
})

describe('relay lifecycle', () => {
  it('drops connections that stop answering pings, keeps those that answer', async () => {
    // Long enough that a healthy client on a loaded CI machine always answers in time.
    relay = await startRelay({ args: ['--ping-interval-ms', '500'] })
    const ws = await relay.createWorkspace('Acme')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'Pia', role: 'employee' })
    const url = roomUrl(relay.url, ws, 'queue', token)
    const healthy = await RawClient.connect(url)
    const dead = new WebSocket(url, { autoPong: false })
    const deadClosed = new Promise<number>((done) => dead.on('close', (code) => done(code)))
    dead.on('error', () => {})
    await deadClosed
    const r = relay
    await waitFor('log line', () =>
      /dropped connection .*why="no pong to keepalive ping"/.test(r.logs()),
    )
    await healthy.sync()
    expect(healthy.closeEvent).toBeNull()
    await healthy.close()
  })

  it('closes a connection when its token expires (4401, not retried by y-websocket)', async () => {
    relay = await startRelay({ args: ['--ping-interval-ms', '200'] })
    const ws = await relay.createWorkspace('Acme')
    // The member registered as invite does; the short token is then signed here, just before the
    // connect. Under load a connect can take longer than a short lifetime: a token that expired
    // on the way (refused invitationExpired) is signed again with twice the lifetime, so the test
    // needs no assumption about how fast the machine is.
    const { token: long, memberId } = await relay.issueToken({
      workspaceId: ws,
      name: 'Tim',
      role: 'champion',
    })
    const { gen } = JSON.parse(Buffer.from(long.split('.')[1] ?? '', 'base64url').toString()) as {
      gen: number
    }
    let socket: WebSocket | null = null
    for (let ttlSeconds = 2; socket === null; ttlSeconds *= 2) {
      const input = { memberId, workspaceId: ws, role: 'champion' as const, name: 'Tim' }
      const token = await signToken(relay.secret, { ...input, ttlSeconds, generation: gen })
      const attempt = await tryConnect(roomUrl(relay.url, ws, 'queue', token))
      if ('ws' in attempt) socket = attempt.ws
      else expect(attempt.refused.problem).toBe('invitationExpired')
    }
    const open = socket
    const { code, reason } = await new Promise<{ code: number; reason: string }>((resolve) =>
      open.once('close', (c, r) => resolve({ code: c, reason: r.toString() })),
    )
    expect(code).toBe(4401)
    expect(reason).toBe('token expired')
  })

  it('shuts down gracefully on SIGTERM and restarts with the same secret, port and data', async () => {
    relay = await startRelay()
    const ws = await relay.createWorkspace('Acme')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'Rey', role: 'champion' })
    const url = roomUrl(relay.url, ws, 'queue', token)
    const writer = await RawClient.connect(url)
    await writer.sync()
    writer.doc.getText('t').insert(0, 'survives a restart')
    await writer.sync()
    const old = relay
    await old.stop()
    expect(await old.exited).toEqual({ code: 0, signal: null })
    expect(old.logs()).toMatch(/room compacted room=\S+\/queue why=shutdown/)
    expect(old.logs()).toMatch(/relay stopped/)
    // 1012 service restart: clients reconnect (see drain.test.ts).
    expect((await writer.closed).code).toBe(1012)

    relay = await startRelay({ dataDir: old.dataDir, port: old.port })
    expect(relay.port).toBe(old.port)
    expect(relay.secret).toBe(old.secret)
    const reader = await RawClient.connect(url) // the old token is still valid
    await reader.sync()
    expect(reader.doc.getText('t').toString()).toBe('survives a restart')
    await reader.close()
  })

  it('admin CLI creates a workspace and issues a join link the relay accepts', async () => {
    relay = await startRelay()
    const { dataDir, adminTarget } = relay
    // On Redis + PostgreSQL the members are in PostgreSQL: the operator names it, as for the relay.
    const postgres =
      typeof adminTarget === 'object' && adminTarget.postgresUrl !== undefined
        ? ['--postgres-url', adminTarget.postgresUrl]
        : []
    // The admin CLI as an operator runs it, on the relay's data dir, without a secret in the env.
    const admin = (...args: string[]) =>
      run(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [join(ROOT, 'sync-server', 'admin', 'cli.ts'), ...args, '--data-dir', dataDir, ...postgres],
        { env: { ...process.env, PORTE_VOIX_RELAY_SECRET: '' } },
      )
    const created = await admin('create-workspace', '--name', 'Acme Corp')
    const workspaceId = created.stdout.trim()
    expect(workspaceId).toMatch(/^ws_[a-z0-9]+$/)
    const invited = await admin(
      'invite',
      '--workspace',
      workspaceId,
      '--name',
      'Alice',
      '--role',
      'champion',
      '--days',
      '30',
      '--relay-url',
      relay.url,
    )
    // The link first, then the member id and the expiry an admin needs.
    const [link = '', member = '', expires = ''] = invited.stdout.trim().split('\n')
    expect(link).toMatch(/^porte-voix:\/\/join\?/)
    expect(member).toMatch(/^member:\s+mem_/)
    expect(expires).toMatch(/^expires:\s+\d{4}-/)
    const invitation = parseInvitation(link)
    expect(invitation.relayUrl).toBe(relay.url)
    const claims = readTokenClaims(invitation.token)
    expect(claims).toMatchObject({ ws: workspaceId, role: 'champion', name: 'Alice' })
    expect(claims.exp - claims.iat).toBe(30 * 86_400)
    const result = await tryConnect(roomUrl(relay.url, workspaceId, 'queue', invitation.token))
    expect('ws' in result).toBe(true)
    if ('ws' in result) result.ws.close()

    // Bad arguments are refused with a readable message.
    const bad = await admin(
      'invite',
      '--workspace',
      workspaceId,
      '--name',
      'Bob',
      '--role',
      'boss',
    ).then(
      () => null,
      (error: { stderr: string; code: number }) => error,
    )
    expect(bad?.code).toBe(1)
    expect(bad?.stderr).toMatch(/role/)
  })

  // The data-dir lock is the SQLite backend's single owner. On Redis + PostgreSQL several nodes
  // share one data dir by design (tests/cluster/convergence); one node compacts a room at a time
  // under a Redis lease (tests/cluster/doc-store › refuses a compaction while another holds the lease).
  it.skipIf(onClusterBackend())(
    'refuses a second relay on the same data dir, but takes over after a crash (SQLite only: several nodes share a data dir on Redis + PostgreSQL)',
    async () => {
      relay = await startRelay()
      await expect(startRelay({ dataDir: relay.dataDir })).rejects.toThrow(
        /another relay \(pid \d+\) is using/,
      )
      const { dataDir } = relay
      await relay.kill()
      relay = await startRelay({ dataDir })
      expect(relay.logs()).toMatch(/listening on/)
    },
  )

  it('refuses to start on invalid configuration', async () => {
    await expect(
      startRelay({
        dataDir: tempDir('porte-voix-relay-'),
        args: ['--compact-every', 'zero'],
      }),
    ).rejects.toThrow(/Invalid relay configuration: compactEvery/)
  })
})
