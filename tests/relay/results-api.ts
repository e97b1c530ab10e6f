import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import type { Campaign } from '../../common/model/campaign'
import { shortCode } from '../../common/share/short-link'
import type { RelayProcess } from '../helpers/relay'

/**
 * What the results suites (board, privacy-bytes, results) do to a relay as a member's device and
 * a visitor would: report shares, ask for results, follow a short link.
 */

export const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

/** A share's proof of ownership, as a device computes it from its own secret. */
export const proofOf = (device: string, shareId: string): string =>
  createHash('sha256').update(`${device}:${shareId}`).digest('base64url')

/** POST /api/v1/<route> with a member's token (or none), and the JSON answer. */
export async function postApi(
  relay: Pick<RelayProcess, 'httpUrl'>,
  route: string,
  token: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${relay.httpUrl}/api/v1/${route}`, {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** A visitor follows a share's short link (on LinkedIn): redirected to the item. */
export async function clickShare(
  relay: Pick<RelayProcess, 'httpUrl'>,
  link: { workspaceId: string; itemId: string; shareId: string },
  userAgent = FIREFOX,
): Promise<void> {
  const code = shortCode({ ...link, network: 'linkedin' })
  const response = await fetch(`${relay.httpUrl}/s/${code}`, {
    redirect: 'manual',
    headers: { 'user-agent': userAgent },
  })
  expect(response.status).toBe(302)
}

/** The campaign the results suites count sign-ups for: 10 by a deadline 30 days away. */
export const launchCampaign = (): Campaign => ({
  id: 'camp_launch',
  name: 'Launch',
  objective: 'campaign',
  goalMetric: 'sign-ups',
  goalTarget: 10,
  deadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
})

/** Tokens of Acme's team in the results suites: Chloé the champion, Eric and Olivia employees. */
export async function teamTokens(
  relay: Pick<RelayProcess, 'issueToken'>,
  workspaceId: string,
): Promise<Record<'chloe' | 'eric' | 'olivia', string>> {
  const tokens = { chloe: '', eric: '', olivia: '' }
  for (const [name, role] of [
    ['chloe', 'champion'],
    ['eric', 'employee'],
    ['olivia', 'employee'],
  ] as const) {
    tokens[name] = (
      await relay.issueToken({ workspaceId, name, role, memberId: `mem_${name}` })
    ).token
  }
  return tokens
}
