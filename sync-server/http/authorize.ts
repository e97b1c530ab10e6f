import type { IncomingMessage } from 'node:http'
import { z } from 'zod'
import type { ProblemCode } from '../../common/contract/problems'
import {
  accessFor,
  DOC_NAMES,
  type DocName,
  parseRoomName,
  type RoomRef,
} from '../../common/doc/rooms'
import type { TokenClaims } from '../../common/model/invitation'
import type { Workspace } from '../../common/model/member'
import { checkMembership } from '../auth/membership'
import { type VerifiedToken, verifyToken, verifyTokenNow } from '../auth/tokens'
import type { MemberRecord, WorkspaceStore } from '../persistence/workspace-store'

/** Why a request was refused, for people (`reason`, logged) and for the core (`problem`). */
export type Refusal = {
  ok: false
  status: 400 | 401 | 403 | 404 | 429 | 500
  reason: string
  problem: ProblemCode
}

export type Authorization =
  | ({ ok: true; ref: RoomRef; workspace: Workspace } & VerifiedToken)
  | Refusal

const TokenText = z.string().min(10, 'token is too short').max(4096, 'token is too long')

export type TokenCheck = ({ ok: true } & VerifiedToken) | Refusal
/** A token that passed checkMember, with its workspace (read once per upgrade: issue 11.3). */
export type MemberCheck = ({ ok: true; workspace: Workspace } & VerifiedToken) | Refusal

const PROBLEM_OF_TOKEN_FAILURE = {
  expired: 'invitationExpired',
  // Signed with another secret: most likely an invitation from another relay.
  'bad-signature': 'wrongRelay',
  malformed: 'invitationInvalid',
  'bad-claims': 'invitationInvalid',
} as const satisfies Record<string, ProblemCode>

/**
 * Who is this: the one token check shared by WebSocket upgrades and the HTTP API, so both refuse
 * exactly the same tokens. 401 = no/forged/expired/malformed token. Membership is checked
 * separately (checkAccess) because renewal accepts a token whose role is out of date.
 */
export async function checkToken(
  rawToken: string | null,
  secret: string,
  /** verifyTokenNow already said null for this token (tokenNow): skip it in verifyToken. */
  triedNow = false,
): Promise<TokenCheck> {
  if (rawToken === null || rawToken === '')
    return { ok: false, status: 401, reason: 'missing token', problem: 'invitationInvalid' }
  // The usual length passes without a zod parse (TokenText still words every refusal).
  const plain = rawToken.length >= 10 && rawToken.length <= 4096
  const text = plain ? { success: true as const, data: rawToken } : TokenText.safeParse(rawToken)
  if (!text.success) {
    return {
      ok: false,
      status: 401,
      reason: text.error.issues[0]?.message ?? 'bad token',
      problem: 'invitationMalformed',
    }
  }
  const verified = await verifyToken(secret, text.data, { triedNow })
  return verified.ok ? verified : tokenRefusal(verified)
}

/** checkToken without a promise for a token verifyTokenNow accepts (null: ask checkToken). */
function tokenNow(rawToken: string | null, secret: string): TokenCheck | null {
  if (rawToken === null || rawToken.length < 10 || rawToken.length > 4096) return null
  const known = verifyTokenNow(secret, rawToken)
  return (
    known && { ok: true, claims: known.claims, generation: known.generation, device: known.device }
  )
}

function tokenRefusal(
  verified: Extract<Awaited<ReturnType<typeof verifyToken>>, { ok: false }>,
): Refusal {
  return {
    ok: false,
    status: 401,
    reason: `${verified.reason}: ${verified.detail}`,
    problem: PROBLEM_OF_TOKEN_FAILURE[verified.reason],
  }
}

/** The token's workspace must exist on this relay (403: a token for something not here). */
export async function checkWorkspace(
  claims: TokenClaims,
  workspaces: WorkspaceStore,
): Promise<Refusal | null> {
  const found = await workspaceOf(claims, workspaces)
  return 'ok' in found ? found : null
}

/**
 * Workspaces found, per store: a workspace is never deleted or renamed once created (no command
 * does either), so one found stays valid; one not found is asked again (another node or the admin
 * tool may create it). Members are not cached: revocation reads them on every check.
 */
const knownWorkspaces = new WeakMap<WorkspaceStore, Map<string, Workspace>>()
const MAX_KNOWN_WORKSPACES = 10_000

/** A workspace found before, without a promise (undefined: ask workspaceOf). */
function knownWorkspace(claims: TokenClaims, workspaces: WorkspaceStore): Workspace | undefined {
  return knownWorkspaces.get(workspaces)?.get(claims.ws)
}

async function workspaceOf(
  claims: TokenClaims,
  workspaces: WorkspaceStore,
): Promise<Refusal | Workspace> {
  let known = knownWorkspaces.get(workspaces)
  const cached = known?.get(claims.ws)
  if (cached) return cached
  const found = await workspaces.getWorkspace(claims.ws)
  if (!found)
    return {
      ok: false,
      status: 403,
      reason: 'workspace does not exist on this relay',
      problem: 'wrongRelay',
    }
  if (!known) {
    known = new Map()
    knownWorkspaces.set(workspaces, known)
  }
  if (known.size >= MAX_KNOWN_WORKSPACES) known.clear()
  known.set(claims.ws, found)
  return found
}

/**
 * Token, workspace and membership: what every upgrade and API call must pass. Read from the
 * store each time. On SQLite that is the row itself, so a removal or re-invitation by the admin
 * tool (another process) counts at once. PostgreSQL's store answers from a cache that each node
 * drops when PostgreSQL notifies it of the change: a change made by another process or node
 * counts once that notification arrives (10–33 ms after the commit in
 * tests/relay/token-cache-member-change.test.ts's probes). An upgrade let in during that window is
 * closed when the notification comes, like any open socket of that member.
 */
export async function checkAccess(
  rawToken: string | null,
  secret: string,
  workspaces: WorkspaceStore,
): Promise<MemberCheck> {
  const token = await checkToken(rawToken, secret)
  return token.ok ? await checkMember(token, workspaces) : token
}

/** The workspace and membership half of checkAccess, for a token already verified. */
export async function checkMember(
  token: VerifiedToken,
  workspaces: WorkspaceStore,
): Promise<MemberCheck> {
  // One await per upgrade in the usual case (the member read): a workspace is remembered.
  const workspace =
    knownWorkspace(token.claims, workspaces) ?? (await workspaceOf(token.claims, workspaces))
  if ('ok' in workspace) return workspace
  return memberCheck(token, workspace, await workspaces.getMemberRecord(token.claims.sub))
}

/** checkMember's verdict on the member record read for `token`. */
function memberCheck(
  token: VerifiedToken,
  workspace: Workspace,
  record: MemberRecord | null,
): MemberCheck {
  const membership = checkMembership(token, record)
  if (!membership.ok) {
    return { ok: false, status: 403, reason: membership.reason, problem: membership.problem }
  }
  const { claims, generation, device } = token
  return { ok: true, claims, generation, device, workspace }
}

/**
 * What the core sends, `/<id>/<doc>?token=<base64url.base64url.base64url>`: read as `new URL`
 * would read it, without building one (URL and its searchParams were ~2% of a connect's CPU).
 */
const PLAIN_UPGRADE_URL = /^\/([A-Za-z0-9_-]+\/[a-z]+)\?token=([A-Za-z0-9_.-]*)$/

/**
 * The room path (percent-decoded, leading slashes removed; null if it does not decode) and the
 * `token` parameter of an upgrade URL; null for a URL that does not parse.
 */
export function splitUpgradeUrl(raw: string): { path: string | null; token: string | null } | null {
  const plain = PLAIN_UPGRADE_URL.exec(raw)
  if (plain) return { path: plain[1] ?? '', token: plain[2] ?? '' }
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

/**
 * Decide on a WebSocket upgrade *before* accepting it: `/<workspaceId>/<doc>?token=<jwt>`.
 * 401 = who are you (no/forged/expired token), 404 = no such document, 403 = not yours.
 */
export async function authorizeUpgrade(
  req: IncomingMessage,
  secret: string,
  workspaces: WorkspaceStore,
): Promise<Authorization> {
  const target = splitUpgradeUrl(req.url ?? '/')
  if (!target)
    return { ok: false, status: 400, reason: 'unreadable request URL', problem: 'notFound' }
  // A token verified before (a core's other documents, a reconnect) or checked synchronously
  // costs no promise (issue 11.3, connects).
  const token = tokenNow(target.token, secret) ?? (await checkToken(target.token, secret, true))
  if (!token.ok) return token
  const ref = upgradeRoom(target.path, token)
  if ('ok' in ref) return ref
  return accepted(ref, await checkMember(token, workspaces))
}

/**
 * authorizeUpgrade without a promise, for an upgrade it can decide synchronously: a token
 * verifyTokenNow accepts, a workspace known and a store with a synchronous member read (SQLite).
 * The same checks in the same order, the member read from the store as always. Null: ask
 * authorizeUpgrade (which also words every refusal of a URL or token this one leaves to it).
 */
export function authorizeUpgradeNow(
  req: IncomingMessage,
  secret: string,
  workspaces: WorkspaceStore,
): Authorization | null {
  if (!workspaces.getMemberRecordNow) return null
  const target = splitUpgradeUrl(req.url ?? '/')
  const token = target && tokenNow(target.token, secret)
  if (!target || !token?.ok) return null
  const workspace = knownWorkspace(token.claims, workspaces)
  if (!workspace) return null
  const ref = upgradeRoom(target.path, token)
  if ('ok' in ref) return ref
  return accepted(
    ref,
    memberCheck(token, workspace, workspaces.getMemberRecordNow(token.claims.sub)),
  )
}

/** The room of an upgrade's path, which must be in the token's workspace (404, 403 otherwise). */
function upgradeRoom(path: string | null, token: VerifiedToken): RoomRef | Refusal {
  if (path === null) return { ok: false, status: 404, reason: 'unknown room', problem: 'notFound' }
  const ref = tokenRoom(path, token.claims.ws) ?? parseRoomName(path)
  if (!ref)
    return {
      ok: false,
      status: 404,
      reason: `unknown room "${path.slice(0, 80)}"`,
      problem: 'notFound',
    }
  if (ref.workspaceId !== token.claims.ws) {
    return {
      ok: false,
      status: 403,
      reason: 'token is for another workspace',
      problem: 'notAllowed',
    }
  }
  return ref
}

/** A member that passed checkMember, let into the room if their role may read its document. */
function accepted(ref: RoomRef, access: MemberCheck): Authorization {
  if (!access.ok) return access
  // Curation (drafts, proposals, moderation) is the curators' alone: not even read access.
  if (accessFor(ref.doc, access.claims.role) === 'none') {
    return { ok: false, status: 403, reason: `no access to "${ref.doc}"`, problem: 'notAllowed' }
  }
  // The workspace's own id and the doc name's literal, not views of the request URL: a sliced
  // string keeps the whole URL (token included, ~400 B) alive as long as the connection.
  const { claims, generation, device, workspace } = access
  const doc = docLiteral(ref.doc) ?? ref.doc
  return {
    ok: true,
    claims,
    generation,
    device,
    workspace,
    ref: { workspaceId: workspace.id, doc },
  }
}

function docLiteral(doc: string): DocName | undefined {
  return DOC_NAMES.find((name) => name === doc)
}

/**
 * `<the token's workspace>/<doc>` read without parseRoomName's zod parse (~2.5% of a connect):
 * the token's `ws` already passed the same Id rule. Null for any other path, which
 * parseRoomName then reads (and words the refusal of).
 */
function tokenRoom(path: string, workspaceId: string): RoomRef | null {
  const slash = path.indexOf('/')
  if (slash !== workspaceId.length || !path.startsWith(workspaceId)) return null
  const doc = docLiteral(path.slice(slash + 1))
  return doc ? { workspaceId, doc } : null
}
