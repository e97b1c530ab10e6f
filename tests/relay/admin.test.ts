import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseInvitation } from '../../common/model/invitation'
import { RELAY_FLAGS } from '../../sync-server/config'
import {
  onClusterBackend,
  type RelayProcess,
  relayBackend,
  runRelayCli,
  startRelay,
} from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl, tryConnect } from './support'

let relay: RelayProcess
let acme: string
const scratch: string[] = []

beforeAll(async () => {
  relay = await startRelay({ args: ['--max-connections-per-member', '4'] })
  acme = await relay.createWorkspace('Acme')
})
afterAll(async () => {
  await relay?.stop()
  if (relay) rmSync(relay.dataDir, { recursive: true, force: true })
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

/** `invite` through the CLI, as an admin does; returns what it printed, parsed. */
async function inviteByCli(name: string, role: string) {
  const out = await relay.admin([
    'invite',
    '--workspace',
    acme,
    '--name',
    name,
    '--role',
    role,
    '--relay-url',
    relay.url,
  ])
  expect(out.code, out.stderr).toBe(0)
  const [link = '', memberLine = '', expiresLine = ''] = out.stdout.trim().split('\n')
  const memberId = /^member:\s+(\S+)$/.exec(memberLine)?.[1] ?? ''
  const expires = /^expires:\s+(\S+)/.exec(expiresLine)?.[1] ?? ''
  return { link, memberId, expires, token: parseInvitation(link).token }
}

/**
 * export-member's flags to read the documents too: none on SQLite (they are in the data dir's
 * file); on Redis + PostgreSQL their streams are in Redis, which the operator names (--redis-url).
 */
async function documentFlags(): Promise<string[]> {
  const backend = await relayBackend(relay.dataDir)
  return backend.kind === 'cluster' ? ['--redis-url', backend.redisUrl] : []
}

async function expectRefused(url: string, status: number, problem: string): Promise<void> {
  const result = await tryConnect(url)
  if ('ws' in result) {
    result.ws.close()
    throw new Error(`expected a ${status} refusal, the upgrade was accepted`)
  }
  expect(result.refused.status).toBe(status)
  expect(result.refused.problem).toBe(problem)
  expect(JSON.parse(result.refused.body)).toMatchObject({ error: { problem } })
}

async function summary(token: string): Promise<{ status: number; problem: string | null }> {
  const res = await fetch(`${relay.httpUrl}/api/v1/shares/summary`, {
    headers: { authorization: `Bearer ${token}` },
  })
  await res.arrayBuffer()
  return { status: res.status, problem: res.headers.get('x-porte-voix-problem') }
}

async function renew(token: string) {
  const res = await fetch(`${relay.httpUrl}/api/v1/token/renew`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  })
  const body = (await res.json()) as { token?: string; role?: string; expiresAt?: string }
  return { status: res.status, problem: res.headers.get('x-porte-voix-problem'), body }
}

/** Connect and sync a raw client; resolve with how long its socket took to close after `act`. */
async function closedAfter(client: RawClient, act: () => Promise<unknown>) {
  const started = Date.now()
  await act()
  const event = await client.closed
  return { ...event, ms: Date.now() - started }
}

describe('relay:admin on a live relay', () => {
  it('invite prints the link, the member id and the expiry; list-members shows devices and last seen', async () => {
    const before = Date.now()
    const alice = await inviteByCli('Alice', 'champion')
    expect(alice.link).toMatch(/^porte-voix:\/\/join\?/)
    expect(alice.memberId).toMatch(/^mem_/)
    expect(Date.parse(alice.expires) - before).toBeGreaterThan(29 * 86_400_000)
    let list = await relay.admin(['list-members', '--workspace', acme])
    expect(list.stdout).toMatch(new RegExp(`${alice.memberId}\\tAlice\\tchampion\\t0\\tnever`))

    const client = await RawClient.connect(roomUrl(relay.url, acme, 'queue', alice.token))
    await client.sync()
    list = await relay.admin(['list-members', '--workspace', acme, '--json'])
    const rows = JSON.parse(list.stdout) as { id: string; devices: number; lastSeen: string }[]
    const row = rows.find((r) => r.id === alice.memberId)
    expect(row?.devices).toBe(1)
    expect(Date.parse(row?.lastSeen ?? '')).toBeGreaterThanOrEqual(before - 1000)
    await client.close()
  })

  it('set-role takes effect on a live socket and on the HTTP API; the device renews into the new role', async () => {
    const bob = await inviteByCli('Bob', 'champion')
    const client = await RawClient.connect(roomUrl(relay.url, acme, 'queue', bob.token))
    await client.sync()
    expect((await summary(bob.token)).status).toBe(200)

    const closed = await closedAfter(client, () =>
      relay.admin(['set-role', '--member', bob.memberId, '--role', 'employee']),
    )
    // 4000: not terminal, the core reconnects, is refused with roleChanged and renews.
    expect(closed.code).toBe(4000)
    console.info(`role change: live socket closed ${closed.ms} ms after the admin command`)
    await expectRefused(roomUrl(relay.url, acme, 'queue', bob.token), 403, 'roleChanged')
    expect(await summary(bob.token)).toEqual({ status: 403, problem: 'roleChanged' })

    const renewed = await renew(bob.token)
    expect(renewed.status).toBe(200)
    expect(renewed.body.role).toBe('employee')
    const fresh = renewed.body.token ?? ''
    // The new token is an employee's: reads the queue, may not read the team summary.
    expect((await summary(fresh)).status).toBe(403)
    const again = await RawClient.connect(roomUrl(relay.url, acme, 'queue', fresh))
    await again.sync()
    await waitFor('the reconnection logged', () =>
      /connection accepted .*member=\S+ role=employee access=read/.test(relay.logs()),
    )
    await again.close()
  })

  it('remove-member closes live sockets within a second and refuses the token everywhere', async () => {
    const carol = await inviteByCli('Carol', 'champion')
    const queue = await RawClient.connect(roomUrl(relay.url, acme, 'queue', carol.token))
    const directory = await RawClient.connect(roomUrl(relay.url, acme, 'directory', carol.token))
    await queue.sync()
    await directory.sync()
    const closed = await closedAfter(queue, () =>
      relay.admin(['remove-member', '--member', carol.memberId]),
    )
    expect(closed).toMatchObject({ code: 4403, reason: 'member removed' })
    expect((await directory.closed).code).toBe(4403)
    console.info(`removal: live socket closed ${closed.ms} ms after the admin command`)
    await expectRefused(roomUrl(relay.url, acme, 'queue', carol.token), 403, 'memberRemoved')
    expect(await summary(carol.token)).toEqual({ status: 403, problem: 'memberRemoved' })
    expect((await renew(carol.token)).status).toBe(403)
    const list = await relay.admin(['list-members', '--workspace', acme])
    expect(list.stdout).toMatch(new RegExp(`${carol.memberId}\\tCarol\\tchampion \\(removed\\)`))
  })

  it('reinvite supersedes every older token, live ones included; the new link works', async () => {
    const dan = await inviteByCli('Dan', 'champion')
    const renewed = await renew(dan.token)
    const device = renewed.body.token ?? ''
    const client = await RawClient.connect(roomUrl(relay.url, acme, 'queue', device))
    await client.sync()
    const out = await relay.admin([
      'reinvite',
      '--member',
      dan.memberId,
      '--role',
      'admin',
      '--relay-url',
      relay.url,
    ])
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toMatch(new RegExp(`member:\\s+${dan.memberId}`))
    expect((await client.closed).code).toBe(4410)
    await expectRefused(roomUrl(relay.url, acme, 'queue', dan.token), 403, 'invitationRevoked')
    await expectRefused(roomUrl(relay.url, acme, 'queue', device), 403, 'invitationRevoked')
    expect((await renew(device)).problem).toBe('invitationRevoked')
    const token = parseInvitation(out.stdout.split('\n')[0] ?? '').token
    const fresh = await RawClient.connect(roomUrl(relay.url, acme, 'curation', token))
    await fresh.sync()
    await fresh.close()
  })

  it('export-member gives everything held about a member as JSON; delete-member forgets them', async () => {
    const erin = await inviteByCli('Erin', 'employee')
    const client = await RawClient.connect(roomUrl(relay.url, acme, 'directory', erin.token))
    await client.sync()
    await waitFor('the directory entry written', () =>
      client.doc.getMap('members').has(erin.memberId),
    )
    await client.close()
    const out = await relay.admin([
      'export-member',
      '--member',
      erin.memberId,
      ...(await documentFlags()),
    ])
    expect(out.code, out.stderr).toBe(0)
    const exported = JSON.parse(out.stdout)
    expect(exported).toMatchObject({
      member: { id: erin.memberId, displayName: 'Erin', role: 'employee', workspaceId: acme },
      workspace: { id: acme, name: 'Acme' },
      devices: [{ connections: 1 }],
    })
    expect(exported.documents).toContainEqual({
      room: `${acme}/directory`,
      path: `members/${erin.memberId}`,
      value: expect.objectContaining({ displayName: 'Erin' }),
    })
    expect(JSON.stringify(exported)).not.toMatch(/127\.0\.0\.1/)

    // A colleague's replica of the directory: Erin's name leaves it once she is deleted.
    const colleague = await inviteByCli('Gus', 'employee')
    const watcher = await RawClient.connect(roomUrl(relay.url, acme, 'directory', colleague.token))
    await watcher.sync()
    expect(watcher.doc.getMap('members').has(erin.memberId)).toBe(true)
    const deleted = await relay.admin(['delete-member', '--member', erin.memberId])
    expect(deleted.code, deleted.stderr).toBe(0)
    await waitFor(
      'Erin gone from the directory',
      () => !watcher.doc.getMap('members').has(erin.memberId),
    )
    await watcher.close()
    expect((await relay.admin(['list-members', '--workspace', acme])).stdout).not.toContain(
      erin.memberId,
    )
    const gone = await relay.admin([
      'export-member',
      '--member',
      erin.memberId,
      ...(await documentFlags()),
    ])
    expect(gone.code).toBe(1)
    expect(gone.stderr.trim()).toBe(
      `porte-voix relay admin: No member "${erin.memberId}" on this relay (see list-members)`,
    )
    await expectRefused(roomUrl(relay.url, acme, 'queue', erin.token), 403, 'invitationRevoked')
  })

  it('caps sockets per member: one more is refused with tooManyConnections, a freed slot is reused', async () => {
    const fay = await inviteByCli('Fay', 'champion')
    const url = roomUrl(relay.url, acme, 'queue', fay.token)
    const clients = await Promise.all([1, 2, 3, 4].map(() => RawClient.connect(url)))
    await expectRefused(url, 429, 'tooManyConnections')
    await clients[0]?.close()
    await waitFor('a slot freed', async () => {
      const result = await tryConnect(url)
      if ('ws' in result) {
        result.ws.close()
        return true
      }
      return false
    })
    for (const client of clients.slice(1)) await client.close()
  })

  it('keeps the data directory and its secret readable by their owner only', () => {
    expect(statSync(relay.dataDir).mode & 0o777).toBe(0o700)
    expect(statSync(join(relay.dataDir, 'secret')).mode & 0o777, 'secret').toBe(0o600)
  })

  // A node on Redis + PostgreSQL opens no SQLite file: its data's access is their servers' concern.
  it.skipIf(onClusterBackend())(
    'keeps the SQLite file and its WAL readable by their owner only (SQLite only: no relay file on Redis + PostgreSQL; the data dir and secret are checked on both)',
    () => {
      for (const file of ['relay.sqlite', 'relay.sqlite-wal']) {
        expect(statSync(join(relay.dataDir, file)).mode & 0o777, file).toBe(0o600)
      }
    },
  )
})

describe('relay and relay:admin command lines', () => {
  it('--help lists every flag with its environment variable', async () => {
    const out = await runRelayCli('main', ['--help'])
    expect(out.code).toBe(0)
    for (const [flag, spec] of Object.entries(RELAY_FLAGS)) {
      const line = out.stdout.split('\n').find((l) => l.startsWith(`  --${flag}`))
      expect(line, flag).toBeDefined()
      if ('env' in spec) expect(line).toContain(`(env ${spec.env})`)
    }
    const admin = await runRelayCli('admin', ['--help'])
    expect(admin.stdout).toMatch(/--data-dir <dir> .*\(env PORTE_VOIX_RELAY_DATA\)/)
    for (const command of ['list-members', 'set-role', 'remove-member', 'reinvite']) {
      expect(admin.stdout).toContain(command)
    }
  })

  it('a short secret is one clear line, not a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'porte-voix-relay-'))
    scratch.push(dir)
    const out = await runRelayCli('main', ['--port', '0', '--data-dir', dir], {
      ...process.env,
      PORTE_VOIX_RELAY_SECRET: 'too-short',
    })
    expect(out.code).toBe(1)
    const lines = out.stderr.trim().split('\n')
    expect(lines).toEqual([
      expect.stringMatching(
        /^porte-voix relay failed to start: PORTE_VOIX_RELAY_SECRET is 9 characters long; it must be at least 32/,
      ),
    ])
  })

  it('a wrong --data-dir is an error for admin commands, and creates nothing', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'porte-voix-relay-'))
    scratch.push(parent)
    const typo = join(parent, 'relay-dta')
    for (const args of [
      ['list-workspaces'],
      ['list-members', '--workspace', acme],
      ['export-member', '--member', 'mem_x12'],
      ['invite', '--workspace', acme, '--name', 'X', '--role', 'employee'],
    ]) {
      const out = await runRelayCli('admin', [...args, '--data-dir', typo])
      expect(out.code, args[0]).toBe(1)
      expect(out.stderr.trim()).toMatch(/^porte-voix relay admin: No relay database in .*relay-dta/)
      expect(existsSync(typo)).toBe(false)
    }
  })
})
