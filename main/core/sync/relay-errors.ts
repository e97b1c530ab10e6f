import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import { type Problem, ProblemCode, problem } from '../../../common/contract/problems'

/**
 * Turning what the WebSocket layer reports into words a person can act on, and into the
 * `Problem` code the windows translate. The relay names why it refused an upgrade in the header
 * `x-porte-voix-problem` (sync-server/http/server.ts); under Node, `ws` reports a refused upgrade
 * only as "Unexpected server response: 401", so RelaySocket keeps the answer's status and header.
 */
export type Refusal = { status: number; problem: ProblemCode | null }

/**
 * `ws` through require(): imported as an ES module, the CommonJS package costs the core's start
 * ~3x the CPU (BENCHMARKS.md, "core start to first paint").
 */
const { WebSocket } = createRequire(import.meta.url)('ws') as typeof import('ws')

export class RelaySocket extends WebSocket {
  refusal: Refusal | null = null

  // 'unexpected-response' is read here, then ws carries on as if nobody listened (returning
  // false): it aborts the handshake and reports the error and close exactly as before.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'unexpected-response') {
      const res = args[1] as IncomingMessage
      const header = res.headers['x-porte-voix-problem']
      const code = ProblemCode.safeParse(Array.isArray(header) ? header[0] : header)
      this.refusal = { status: res.statusCode ?? 0, problem: code.success ? code.data : null }
      res.resume()
      return false
    }
    return super.emit(event, ...args)
  }
}

export type ConnectionProblem =
  | { kind: 'refused'; status: number; message: string; problem: Problem }
  | { kind: 'unreachable'; message: string; problem: Problem }

/** What the relay may say and the sentence the core logs and keeps as `lastError`. */
const MESSAGES: Partial<Record<ProblemCode, string>> = {
  invitationExpired:
    'The invitation or device token has expired. Ask your admin for a new invitation.',
  invitationRevoked:
    'This invitation was revoked (a newer one replaced it, or the member was deleted). Ask your admin for a new invitation.',
  memberRemoved: 'An admin removed you from this workspace.',
  roleChanged: 'Your role changed; this device is renewing its access.',
  wrongRelay:
    'This invitation is not for this relay (signed by another relay, or the workspace is not there).',
  invitationInvalid:
    'The relay refused this invitation (invalid token). Ask your admin for a new one.',
  invitationMalformed: 'The invitation token is damaged. Ask your admin for a new invitation.',
  tooManyConnections: 'Too many devices of yours are connected to the relay at once.',
  notAllowed: 'Your role has no access to this part of the workspace.',
  changeTooLarge:
    'A change is too large for the relay (over its message limit); it is kept on this device but not sent. Undo or shorten it.',
  changeRefused:
    'The relay refused a change from this device as invalid; it is kept on this device but not sent.',
}

function statusProblem(status: number): ProblemCode {
  // A relay without the header (older, or a proxy answering for it).
  if (status === 401) return 'invitationInvalid'
  if (status === 429) return 'tooManyConnections'
  return 'relayRefused'
}

export function describeConnectionError(event: unknown, relayUrl: string): ConnectionProblem {
  const raw = errorText(event)
  const refusal = refusalOf(event)
  const status = refusal?.status ?? Number(/Unexpected server response: (\d{3})/.exec(raw)?.[1])
  if (status === 401 || status === 403 || status === 429) {
    const code = refusal?.problem ?? statusProblem(status)
    return {
      kind: 'refused',
      status,
      problem: problem(code),
      message:
        (refusal?.problem ? MESSAGES[code] : undefined) ??
        (status === 401
          ? 'The relay refused this device’s invitation (HTTP 401: expired or invalid token). Ask your admin for a new invitation.'
          : `The relay refused access to this workspace (HTTP ${status}). Ask your admin for a new invitation.`),
    }
  }
  return {
    kind: 'unreachable',
    problem: problem('relayUnreachable', { relay: relayHost(relayUrl) }),
    message: `Cannot reach the relay at ${relayUrl}${raw ? ` (${raw})` : ''}; retrying.`,
  }
}

/** Close codes the relay uses when it takes access back (sync-server/auth/live-access.ts). */
const CLOSE_PROBLEMS: Record<number, ProblemCode> = {
  4401: 'invitationExpired',
  4403: 'memberRemoved',
  4410: 'invitationRevoked',
  // common/doc/limits.ts RELAY_CLOSE: a refused change, not a refused member.
  1009: 'changeTooLarge',
  4422: 'changeRefused',
  4423: 'changeRefused',
}

/** A close code in 4400–4499 is the relay deciding that reconnecting cannot help. */
export function describeTerminalClose(
  code: number,
  reason: string,
): { message: string; problem: Problem } {
  const known = CLOSE_PROBLEMS[code]
  const message = known ? MESSAGES[known] : undefined
  return {
    problem: problem(known ?? 'closedForGood'),
    message:
      message ??
      `The relay closed the connection for good (${code}${reason ? `: ${reason}` : ''}). Ask your admin for a new invitation.`,
  }
}

/** The relay's host and port, for sentences (never the whole URL). */
function relayHost(relayUrl: string): string {
  try {
    return new URL(relayUrl).host
  } catch {
    return relayUrl.slice(0, 80)
  }
}

function refusalOf(event: unknown): Refusal | null {
  if (typeof event !== 'object' || event === null) return null
  const target = (event as { target?: unknown }).target
  return target instanceof RelaySocket ? target.refusal : null
}

function errorText(event: unknown): string {
  if (typeof event !== 'object' || event === null) return ''
  const record = event as { message?: unknown; error?: unknown }
  if (typeof record.message === 'string') return record.message
  if (record.error instanceof Error) return record.error.message
  return ''
}
