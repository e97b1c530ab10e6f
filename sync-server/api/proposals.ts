import type { IncomingMessage, ServerResponse } from 'node:http'
import * as Y from 'yjs'
import { insertItem, itemsMap } from '../../common/doc/queue-doc'
import type { DocName } from '../../common/doc/rooms'
import type { TokenClaims } from '../../common/model/invitation'
import { type Item, Moderation as ModerationSchema, newItem } from '../../common/model/item'
import { NETWORKS } from '../../common/model/networks'
import type { ProposalFate, ProposalFates } from '../../common/model/proposal-fate'
import { ProposalSubmission } from '../../common/model/share'
import type { Logger } from '../log'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { StorageError } from '../rooms/room'
import type { RoomManager } from '../rooms/room-manager'
import { authenticate } from './auth'
import { readJsonBody } from './body'
import { ApiError, sendJson } from './respond'

const MAX_PROPOSAL_BODY = 32 * 1024
/**
 * Proposals go into the curation document every curator syncs, which never shrinks: one member
 * may have at most this many waiting for review at a time.
 */
export const MAX_PENDING_PROPOSALS = 20

export type ProposalsDeps = {
  secret: string
  workspaces: WorkspaceStore
  rooms: RoomManager
  log: Logger
}

/** The item a proposal becomes: submitted, for champions to moderate. */
export function proposalItem(submission: ProposalSubmission, claims: TokenClaims, now: Date): Item {
  const at = now.toISOString()
  const made = newItem(
    {
      id: submission.id,
      title: submission.title,
      url: submission.url,
      objective: 'awareness',
      authorId: claims.sub,
      createdAt: at,
    },
    {
      source: new URL(submission.url).hostname.slice(0, 200),
      sourceKind: 'employee',
      why: submission.note,
      captions: Object.fromEntries(NETWORKS.map((network) => [network, submission.caption])),
      status: 'submitted',
    },
  )
  if ('issues' in made) {
    throw new ApiError(400, 'bad_request', `invalid proposal: ${made.issues.join('; ')}`)
  }
  return made.item
}

/**
 * `POST /api/v1/proposals`: any member proposes a link. The relay writes the item into the
 * workspace's curation doc itself (employees cannot even read it: colleagues' proposals and
 * notes stay off their devices), through the room's normal path: appended to SQLite, then
 * broadcast to curators. The same id again is a no-op answered 200.
 */
export async function postProposal(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ProposalsDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  const submission = await readJsonBody(req, ProposalSubmission.strict(), MAX_PROPOSAL_BODY)
  const item = proposalItem(submission, claims, new Date())
  // Ids are unique across both documents: a published proposal lives in the queue.
  const published = await deps.rooms.with(ref(claims, 'queue'), (room) =>
    itemsMap(room.doc).get(submission.id),
  )
  const created = await deps.rooms.with(ref(claims, 'curation'), async (room) => {
    const items = itemsMap(room.doc)
    const existing: unknown = items.get(submission.id) ?? published
    if (existing !== undefined) {
      // A re-sent proposal is fine; someone else's id (or a champion's item) is not.
      if (!(existing instanceof Y.Map) || existing.get('authorId') !== claims.sub) {
        throw new ApiError(409, 'conflict', `id "${submission.id}" is already taken`)
      }
      return false
    }
    let pending = 0
    for (const entry of items.values()) {
      // Any champion's client can write anything under `items`: skip what is not an item.
      if (!(entry instanceof Y.Map)) continue
      if (entry.get('authorId') === claims.sub && entry.get('status') === 'submitted') pending++
    }
    if (pending >= MAX_PENDING_PROPOSALS) {
      throw new ApiError(
        429,
        'too_many_requests',
        `${pending} of your proposals already await review; wait for the champions' decision`,
      )
    }
    try {
      await room.changeByRelay((doc) => insertItem(doc, item))
    } catch (error) {
      if (error instanceof StorageError) {
        throw new ApiError(503, 'unavailable', 'the relay could not store the proposal; retry')
      }
      throw error
    }
    return true
  })
  deps.log.info(created ? 'proposal received' : 'proposal already received', {
    workspace: claims.ws,
    member: claims.sub,
    id: submission.id,
  })
  sendJson(res, created ? 201 : 200, { id: submission.id, created })
}

function ref(claims: TokenClaims, doc: DocName) {
  return { workspaceId: claims.ws, doc }
}

/** The fate of one of the member's proposals, read from the item it became. */
function fateOf(entry: Y.Map<unknown>): ProposalFate | null {
  const id = entry.get('id')
  const updatedAt = entry.get('updatedAt')
  if (typeof id !== 'string' || typeof updatedAt !== 'string') return null
  const parsed = ModerationSchema.safeParse(entry.get('moderation'))
  const moderation = parsed.success ? parsed.data : null
  const state = moderation?.decision ?? (entry.get('status') === 'submitted' ? 'pending' : null)
  if (state === null) return null
  return { id, state, moderation, updatedAt }
}

/**
 * `GET /api/v1/proposals/mine`: the fate of the caller's own proposals (pending, approved,
 * rejected with the champion's reason), from both documents. Nothing about anyone else's.
 */
export async function getMyProposals(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ProposalsDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  req.resume()
  const proposals: ProposalFate[] = []
  for (const doc of ['curation', 'queue'] as const) {
    await deps.rooms.with(ref(claims, doc), (room) => {
      for (const entry of itemsMap(room.doc).values()) {
        if (!(entry instanceof Y.Map)) continue
        if (entry.get('authorId') !== claims.sub || entry.get('sourceKind') !== 'employee') continue
        const fate = fateOf(entry)
        if (fate) proposals.push(fate)
      }
    })
  }
  const body: ProposalFates = { proposals: proposals.slice(0, 5_000) }
  sendJson(res, 200, body)
}
