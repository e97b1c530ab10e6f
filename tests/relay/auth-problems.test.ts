import { describe, expect, it } from 'vitest'
import { signToken } from '../../sync-server/auth/tokens'
import { relayWithAcme } from '../helpers/relay-acme'
import { roomUrl, tryConnect } from './support'

/** Each refused upgrade names its reason as a problem code, in a header and in the JSON body. */
const fx = relayWithAcme()

async function problemOf(url: string): Promise<{ status: number; problem: string }> {
  const result = await tryConnect(url)
  if ('ws' in result) {
    result.ws.close()
    throw new Error('the upgrade was accepted')
  }
  const body = JSON.parse(result.refused.body) as { error: { problem: string; message: string } }
  expect(body.error.message.length).toBeGreaterThan(0)
  return { status: result.refused.status, problem: body.error.problem }
}

describe('refusal reasons', () => {
  it('expired, invalid, wrong relay, unknown workspace, another workspace, unknown room', async () => {
    const expired = await fx.relay.issueToken({
      workspaceId: fx.acme,
      name: 'Old',
      role: 'employee',
      ttlSeconds: -60,
    })
    expect(await problemOf(roomUrl(fx.relay.url, fx.acme, 'queue', expired.token))).toEqual({
      status: 401,
      problem: 'invitationExpired',
    })
    expect(await problemOf(`${fx.relay.url}/${fx.acme}/queue`)).toEqual({
      status: 401,
      problem: 'invitationInvalid',
    })
    const elsewhere = await signToken('z'.repeat(64), {
      memberId: 'mem_other',
      workspaceId: fx.acme,
      role: 'employee',
      name: 'Other',
      ttlSeconds: 3600,
    })
    expect(await problemOf(roomUrl(fx.relay.url, fx.acme, 'queue', elsewhere))).toEqual({
      status: 401,
      problem: 'wrongRelay',
    })
    const ghost = await signToken(fx.relay.secret, {
      memberId: 'mem_ghost',
      workspaceId: 'ws_gone',
      role: 'employee',
      name: 'Ghost',
      ttlSeconds: 3600,
    })
    expect(await problemOf(roomUrl(fx.relay.url, 'ws_gone', 'queue', ghost))).toEqual({
      status: 403,
      problem: 'wrongRelay',
    })
    // Signed here for a member the relay never invited (or deleted): revoked.
    const stranger = await signToken(fx.relay.secret, {
      memberId: 'mem_stranger',
      workspaceId: fx.acme,
      role: 'admin',
      name: 'Stranger',
      ttlSeconds: 3600,
    })
    expect(await problemOf(roomUrl(fx.relay.url, fx.acme, 'queue', stranger))).toEqual({
      status: 403,
      problem: 'invitationRevoked',
    })
    const { token } = await fx.relay.issueToken({
      workspaceId: fx.acme,
      name: 'Ann',
      role: 'employee',
    })
    expect(await problemOf(roomUrl(fx.relay.url, fx.acme, 'nope', token))).toEqual({
      status: 404,
      problem: 'notFound',
    })
  })
})
