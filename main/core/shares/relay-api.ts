import { z } from 'zod'
import { ProposalReceipt, ShareReceipt } from '../../../common/model/share'

/**
 * The relay's HTTP API as the core calls it. The API lives on the same host and port as the
 * WebSocket endpoint (`ws://h:p/…` → `http://h:p/api/v1/…`, `wss` → `https`), under the same
 * path prefix when the relay sits behind a reverse proxy.
 */
export function relayApiUrl(relayUrl: string, path: string): string {
  const url = new URL(relayUrl)
  if (url.protocol === 'ws:') url.protocol = 'http:'
  else if (url.protocol === 'wss:') url.protocol = 'https:'
  else throw new Error(`relay URL must be ws:// or wss://, not ${url.protocol}`)
  const prefix = url.pathname.replace(/\/+$/, '')
  url.pathname = `${prefix}/api/v1/${path.replace(/^\/+/, '')}`
  url.search = ''
  url.hash = ''
  return url.href
}

/** How to treat a relay answer: done, retry later, or never (the entry is refused for good). */
export type Outcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; error: string }
  | { kind: 'refused'; error: string }

/**
 * 2xx delivered. 401/403 (token expired or revoked), 408 and 429 are worth retrying later, as are
 * 5xx and network errors; any other 4xx says the entry itself is wrong and resending it as is
 * cannot help.
 */
export function classify(status: number, message: string): Outcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' }
  const error = `HTTP ${status}${message ? `: ${message}` : ''}`
  if (status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status)) {
    return { kind: 'refused', error }
  }
  return { kind: 'retry', error }
}

export type PostJson = (
  url: string,
  token: string,
  body: unknown,
  signal?: AbortSignal,
) => Promise<Outcome>

const REQUEST_TIMEOUT_MS = 15_000

/**
 * POST JSON with the member's bearer token; never throws (network errors become `retry`). A 2xx
 * counts as delivered only with the relay's receipt in the body (see receiptProblem).
 */
export const postJson: PostJson = async (url, token, body, signal) => {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code
    return { kind: 'retry', error: `relay unreachable (${cause ?? (error as Error).message})` }
  }
  let message = ''
  let text: string | null = null
  try {
    text = await response.text()
    if (!response.ok) message = errorMessage(text)
  } catch {
    // The status says enough (but a 2xx without a readable body is not a delivery).
  }
  const outcome = classify(response.status, message)
  if (outcome.kind !== 'delivered') return outcome
  const missing = receiptProblem(url, body, text)
  return missing === null
    ? outcome
    : { kind: 'retry', error: `not the relay's answer (${missing}); a captive portal or proxy?` }
}

/**
 * A 2xx is a delivery only when the body is the relay's receipt for what was sent: every share id
 * accepted or a known duplicate, the proposal's own id. A captive portal or a proxy answering
 * "200 OK" with a page of its own would otherwise swallow shares and proposals for good. Returns
 * what is wrong, or null when the receipt covers the request.
 */
export function receiptProblem(url: string, sent: unknown, text: string | null): string | null {
  if (text === null) return 'no body'
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return 'not JSON'
  }
  const path = new URL(url).pathname
  if (path.endsWith('/shares')) {
    const receipt = ShareReceipt.safeParse(json)
    if (!receipt.success) return 'not a share receipt'
    const held = new Set([...receipt.data.acceptedIds, ...receipt.data.duplicateIds])
    const events = (sent as { events?: { id?: unknown }[] }).events ?? []
    const left = events.filter((event) => typeof event.id !== 'string' || !held.has(event.id))
    return left.length === 0 ? null : `${left.length} share(s) missing from the receipt`
  }
  if (path.endsWith('/proposals')) {
    const receipt = ProposalReceipt.safeParse(json)
    if (!receipt.success) return 'not a proposal receipt'
    return receipt.data.id === (sent as { id?: unknown }).id ? null : 'another proposal id'
  }
  return null
}

/**
 * `DELETE /api/v1/members/me` ("Leave and delete"): `delivered` only with the relay's own receipt
 * naming this member; never throws (network errors become `retry`).
 */
/** What `DELETE /api/v1/members/me` answers (sync-server/api/members.ts): the deleted member's id. */
const DeleteReceipt = z.object({ deleted: z.string().min(1) })

export async function deleteMe(
  relayUrl: string,
  token: string,
  memberId: string,
): Promise<Outcome> {
  let response: Response
  try {
    response = await fetch(relayApiUrl(relayUrl, 'members/me'), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code
    return { kind: 'retry', error: `relay unreachable (${cause ?? (error as Error).message})` }
  }
  let text = ''
  try {
    text = await response.text()
  } catch {
    // The status says enough.
  }
  const outcome = classify(response.status, response.ok ? '' : errorMessage(text))
  if (outcome.kind !== 'delivered') return outcome
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { kind: 'retry', error: "not the relay's answer (not JSON); a captive portal or proxy?" }
  }
  const receipt = DeleteReceipt.safeParse(json)
  const problem = !receipt.success
    ? 'not a deletion receipt'
    : receipt.data.deleted !== memberId
      ? 'the receipt names another member'
      : null
  return problem === null
    ? outcome
    : { kind: 'retry', error: `not the relay's answer (${problem}); a captive portal or proxy?` }
}

/** The relay answers errors as `{ error: { code, message } }`; keep it short for the log. */
function errorMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } }
    if (typeof json.error?.message === 'string') return json.error.message.slice(0, 500)
  } catch {
    // Not JSON: fall through.
  }
  return text.trim().slice(0, 200)
}
