import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signToken } from '../../sync-server/auth/tokens'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl, tryConnect } from './support'

let relay: RelayProcess
let acme: string
let globex: string

beforeAll(async () => {
  relay = await startRelay()
  acme = await relay.createWorkspace('Acme')
  globex = await relay.createWorkspace('Globex')
})
afterAll(async () => {
  await relay?.stop()
})

async function expectRefused(url: string, status: number): Promise<string> {
  const result = await tryConnect(url)
  if ('ws' in result) {
    result.ws.close()
    throw new Error(`expected HTTP ${status}, but the upgrade was accepted`)
  }
  expect(result.refused.status).toBe(status)
  return result.refused.body
}

describe('relay authentication, before the WebSocket upgrade', () => {
  it('refuses a connection without a token with 401', async () => {
    await expectRefused(`${relay.url}/${acme}/queue`, 401)
    await expectRefused(`${relay.url}/${acme}/queue?token=`, 401)
    expect(relay.logs()).toMatch(/connection refused .*status=401 reason="missing token"/)
  })

  it('refuses a token with a forged signature with 401', async () => {
    const forged = await signToken('x'.repeat(64), {
      memberId: 'mem_mallory',
      workspaceId: acme,
      role: 'admin',
      name: 'Mallory',
      ttlSeconds: 3600,
    })
    const body = await expectRefused(roomUrl(relay.url, acme, 'queue', forged), 401)
    expect(body).toMatch(/bad-signature/)
    // A genuine token with its payload swapped keeps a valid-looking structure but not its signature.
    const { token } = await relay.issueToken({ workspaceId: acme, name: 'Eve', role: 'employee' })
    const [header, , signature] = token.split('.')
    const payload = Buffer.from(
      JSON.stringify({ sub: 'mem_eve', ws: acme, role: 'admin', name: 'Eve', iat: 1, exp: 4e9 }),
    ).toString('base64url')
    await expectRefused(roomUrl(relay.url, acme, 'queue', `${header}.${payload}.${signature}`), 401)
    // alg "none" must not be accepted either.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`
    await expectRefused(roomUrl(relay.url, acme, 'queue', none), 401)
    await expectRefused(roomUrl(relay.url, acme, 'queue', 'not-a-jwt-at-all'), 401)
  })

  it('refuses an expired token with 401', async () => {
    const { token } = await relay.issueToken({
      workspaceId: acme,
      name: 'Old',
      role: 'champion',
      ttlSeconds: -60,
    })
    const body = await expectRefused(roomUrl(relay.url, acme, 'queue', token), 401)
    expect(body).toMatch(/expired/)
  })

  it('refuses a correctly signed token whose claims are not a membership with 401', async () => {
    const token = await new SignJWT({ ws: acme, role: 'superuser', name: 'X' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mem_x12')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(relay.secret))
    const body = await expectRefused(roomUrl(relay.url, acme, 'queue', token), 401)
    expect(body).toMatch(/bad-claims/)
  })

  it('refuses a token of another workspace with 403, and unknown rooms', async () => {
    const { token } = await relay.issueToken({ workspaceId: globex, name: 'Gil', role: 'admin' })
    await expectRefused(roomUrl(relay.url, acme, 'queue', token), 403)
    await expectRefused(roomUrl(relay.url, acme, 'directory', token), 403)
    await expectRefused(roomUrl(relay.url, globex, 'secrets', token), 404)
    await expectRefused(`${relay.url}/${globex}/queue/extra?token=${token}`, 404)
    expect(relay.logs()).toMatch(
      /connection refused .*status=403 reason="token is for another workspace"/,
    )
  })

  it('refuses a validly signed token for a workspace the relay does not know with 403', async () => {
    const token = await signToken(relay.secret, {
      memberId: 'mem_ghost',
      workspaceId: 'ws_deleted',
      role: 'admin',
      name: 'Ghost',
      ttlSeconds: 3600,
    })
    await expectRefused(roomUrl(relay.url, 'ws_deleted', 'queue', token), 403)
  })

  it('accepts a valid token and syncs', async () => {
    const { token } = await relay.issueToken({ workspaceId: acme, name: 'Ann', role: 'employee' })
    const client = await RawClient.connect(roomUrl(relay.url, acme, 'queue', token))
    await client.sync()
    expect(client.closeEvent).toBeNull()
    expect(relay.logs()).toMatch(/connection accepted .*role=employee access=read/)
    await client.close()
  })

  it('answers GET /health with rooms and connections', async () => {
    const { token } = await relay.issueToken({ workspaceId: acme, name: 'Hal', role: 'champion' })
    const client = await RawClient.connect(roomUrl(relay.url, acme, 'queue', token))
    await client.sync()
    const health = await waitFor('health to count the connection', async () => {
      const body = (await (await fetch(`${relay.httpUrl}/health`)).json()) as {
        ok: boolean
        rooms: number
        connections: number
      }
      return body.connections >= 1 ? body : null
    })
    expect(health.ok).toBe(true)
    expect(health.rooms).toBeGreaterThanOrEqual(1)
    expect((await fetch(`${relay.httpUrl}/nope`)).status).toBe(404)
    await client.close()
  })
})
