import { describe, expect, it } from 'vitest'
import { splitUpgradeUrl } from '../../sync-server/http/authorize'

/** How the upgrade check read its URL before splitUpgradeUrl (new URL for every upgrade). */
function withUrl(raw: string): { path: string | null; token: string | null } | null {
  let url: URL
  try {
    url = new URL(raw, 'http://relay')
  } catch {
    return null
  }
  let path: string | null
  try {
    path = decodeURIComponent(url.pathname.replace(/^\/+/, ''))
  } catch {
    path = null
  }
  return { path, token: url.searchParams.get('token') }
}

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtLTEifQ.sig-_0123'

// Upgrades read their room and token without building a URL when the URL is the plain form the
// core sends; every URL must read exactly as new URL reads it.
describe('upgrade URL', () => {
  it.each([
    `/ws-1/queue?token=${TOKEN}`,
    '/ws-1/queue?token=',
    '/ws-1/queue',
    `//ws-1/queue?token=${TOKEN}`,
    `///ws-1/queue?token=${TOKEN}`,
    `/ws-1/queue?token=${TOKEN}&token=other`,
    `/ws-1/queue?other=1&token=${TOKEN}`,
    '/ws-1/queue?token=a+b%2Fc',
    `/ws-1/../ws-2/queue?token=${TOKEN}`,
    `/ws-1/./queue?token=${TOKEN}`,
    `/ws%2D1/queue?token=${TOKEN}`,
    `/ws-1/queue%?token=${TOKEN}`,
    `/ws-1/queue/extra?token=${TOKEN}`,
    `/ws-1/Queue?token=${TOKEN}`,
    `/ws-1/queue#frag?token=${TOKEN}`,
    `/ws-1\\queue?token=${TOKEN}`,
    `/ws-1/queue?token=${TOKEN}#x`,
    '/',
    '',
    'http://[::1/x',
  ])('%s', (raw) => {
    expect(splitUpgradeUrl(raw)).toEqual(withUrl(raw))
  })
})
