import type { IncomingMessage, ServerResponse } from 'node:http'
import * as Y from 'yjs'
import { insertItem, itemsMap } from '../../common/doc/queue-doc'
import type { TokenClaims } from '../../common/model/invitation'
import { type Item, newItem } from '../../common/model/item'
import { NETWORKS } from '../../common/model/networks'
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
 * Proposals go into the queue document every member syncs, which never shrinks: one member may
 * have at most this many waiting for review at a time.
 */
export const MAX_PENDING_PROPOSALS = 20

export type ProposalsDeps = {
  secret: string
  workspaces: WorkspaceStore
  rooms: RoomManager
  log: Logger
}

/** The queue item a proposal becomes: submitted, for champions to moderate. */
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
 * workspace's queue doc itself (members who may only read the queue cannot), through the room's
 * normal path: appended to SQLite, then broadcast. The same id again is a no-op answered 200.
 */
export async function postProposal(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ProposalsDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  const submission = await readJsonBody(req, ProposalSubmission.strict(), MAX_PROPOSAL_BODY)
  const item = proposalItem(submission, claims, new Date())
  const created = await deps.rooms.with({ workspaceId: claims.ws, doc: 'queue' }, (room) => {
    const items = itemsMap(room.doc)
    const existing: unknown = items.get(submission.id)
    if (existing !== undefined) {
      // A re-sent proposal is fine; someone else's id (or a champion's item) is not.
      if (!(existing instanceof Y.Map) || existing.get('authorId') !== claims.sub) {
        throw new ApiError(409, 'conflict', `id "${submission.id}" is already taken`)
      }
      return false
    }
    let pending = 0
    for (const entry of items.values()) {
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
      room.changeByRelay((doc) => insertItem(doc, item))
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
