/**
 * What the windows say when something fails: a message key and its values, never the core's own
 * text (which names methods, fields and ids). Pure, so it is unit-tested without a DOM.
 *
 * Where the core or relay gives a `Problem` (common/contract/problems.ts) it wins; until every
 * path does, the `ContractError` code and a few known phrasings of the core's messages are mapped.
 */
import type { CoreStatus } from '../../../common/contract/api'
import { ErrorCode } from '../../../common/contract/messages'
import { Problem, type ProblemCode } from '../../../common/contract/problems'
import { dictionaries, type MessageKey, type Vars } from '../i18n/messages'

export type Described = { key: MessageKey; vars?: Vars }

/** Where the error happened: picks the sentence for a refused request (bad input, conflict). */
export type ErrorContext = 'join' | 'share' | 'propose' | 'settings' | 'load' | 'account'

/** A code added to the contract before its sentence is written here still reads as a sentence. */
function problemKey(code: ProblemCode): MessageKey {
  const key = `problem.${code}`
  return Object.hasOwn(dictionaries.en, key) ? (key as MessageKey) : 'problem.internal'
}

function problemOf(value: unknown): Problem | null {
  if (typeof value !== 'object' || value === null) return null
  const parsed = Problem.safeParse((value as { problem?: unknown }).problem)
  return parsed.success ? parsed.data : null
}

function described(problem: Problem): Described {
  return problem.vars
    ? { key: problemKey(problem.code), vars: problem.vars }
    : { key: problemKey(problem.code) }
}

/** The relay's host, for sentences that name it (never the whole URL with its token). */
function relayHost(text: string): string | null {
  const found = /\b(wss?:\/\/[^\s)'"]+)/.exec(text)?.[1]
  if (!found) return null
  try {
    return new URL(found).host
  } catch {
    return null
  }
}

/** Known phrasings of the core's and relay's messages, for paths that carry no Problem yet. */
function fromText(text: string, context: ErrorContext): Described | null {
  if (/mastodon/i.test(text)) return { key: 'error.mastodon' }
  if (/cannot be shared|not a web link|http:\/\/ or https:\/\//i.test(text))
    return { key: 'error.link' }
  if (/not in your queue/i.test(text)) return { key: 'error.itemGone' }
  if (/HTTP 401|expired or invalid token/i.test(text)) return { key: 'problem.invitationInvalid' }
  if (/expired/i.test(text)) return { key: 'problem.invitationExpired' }
  if (/revoked|removed from|no longer a member/i.test(text))
    return { key: 'problem.invitationRevoked' }
  if (/another relay|unknown workspace|wrong relay/i.test(text))
    return { key: 'problem.wrongRelay' }
  if (
    /not an invitation link|lacks its relay|invitation is damaged|token is malformed|does not carry/i.test(
      text,
    )
  )
    return { key: 'problem.invitationMalformed' }
  if (/already joined workspace/i.test(text)) return { key: 'join.alreadyJoined' }
  if (/HTTP 403|refused access/i.test(text)) return { key: 'problem.relayRefused' }
  if (/closed the connection for good/i.test(text)) return { key: 'problem.closedForGood' }
  if (/cannot reach the relay|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timed out/i.test(text)) {
    const host = relayHost(text)
    return host
      ? { key: 'problem.relayUnreachable', vars: { relay: host } }
      : { key: 'problem.relayUnreachableNoHost' }
  }
  if (/could not open the .* share page/i.test(text)) return { key: 'error.openFailed' }
  if (/too long|at most \d+ characters|too_big/i.test(text) && context !== 'join')
    return { key: 'problem.fieldTooLong' }
  return null
}

const BY_CODE: Record<ErrorCode, MessageKey> = {
  bad_request: 'problem.invalidInput',
  not_found: 'problem.notFound',
  forbidden: 'problem.notAllowed',
  not_joined: 'error.notJoined',
  conflict: 'problem.conflict',
  unavailable: 'core.unreachable',
  internal: 'problem.internal',
}

const BAD_INPUT: Partial<Record<ErrorContext, MessageKey>> = {
  join: 'problem.invitationMalformed',
  propose: 'propose.invalid',
  settings: 'settings.invalid',
}

/** A failed call (a `ContractError`, a `Problem`-carrying error, anything thrown) in words. */
export function describeError(error: unknown, context: ErrorContext): Described {
  const problem = problemOf(error)
  if (problem) return described(problem)
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : ''
  const known = fromText(text, context)
  if (known) return known
  const code =
    typeof error === 'object' && error !== null
      ? ErrorCode.safeParse((error as { code?: unknown }).code)
      : null
  if (code?.success) {
    if (code.data === 'bad_request') return { key: BAD_INPUT[context] ?? BY_CODE.bad_request }
    if (code.data === 'forbidden' && context === 'join') return { key: 'problem.relayRefused' }
    return { key: BY_CODE[code.data] }
  }
  return { key: 'problem.internal' }
}

/**
 * Why the connection to the relay is not in step, from the status: its `problem` when the core
 * gives one, else its `lastError` text. Null when there is nothing to say.
 */
export function describeStatus(status: CoreStatus | null): Described | null {
  if (!status || status.sync === 'synced') return null
  const problem = problemOf(status)
  if (problem) return described(problem)
  if (!status.lastError) return null
  const known = fromText(status.lastError, 'join')
  if (known) return known
  const host = status.session ? relayHost(status.session.relayUrl) : null
  return host
    ? { key: 'problem.relayUnreachable', vars: { relay: host } }
    : { key: 'problem.relayUnreachableNoHost' }
}

/** Whether the relay could not be reached (as opposed to refusing us). */
export function isUnreachable(described: Described | null): boolean {
  return (
    described?.key === 'problem.relayUnreachable' ||
    described?.key === 'problem.relayUnreachableNoHost'
  )
}

/** A proposal's refusal reason: the relay's own text becomes a sentence; a champion's stays. */
export function proposalReason(reason: string): Described | null {
  return /^Not accepted by the relay/i.test(reason) ? { key: 'proposal.refusedByRelay' } : null
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

/** A date and time the person's way: 24-hour in French, the locale's own order everywhere. */
export function formatDateTime(instant: string | number | Date, language: string): string {
  const date = instant instanceof Date ? instant : new Date(instant)
  return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'short' }).format(date)
}

/** Values for a sentence: ISO instants (as problems carry them) shown in the person's locale. */
export function localiseVars(vars: Vars | undefined, language: string): Vars | undefined {
  if (!vars) return vars
  const out: Vars = {}
  for (const [name, value] of Object.entries(vars)) {
    out[name] =
      typeof value === 'string' && ISO_INSTANT.test(value) ? formatDateTime(value, language) : value
  }
  return out
}
