import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import { OwnerProof, ShareEvent } from '../../common/model/share'
import type { ResultsStore } from '../links/results-store'
import type { Logger } from '../log'
import { ShareConflictError, type ShareStore } from '../persistence/share-store'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { authenticate, requireCurator } from './auth'
import { readJsonBody } from './body'
import { ApiError, sendJson } from './respond'

/** A core sends at most this many events per request (its outbox batches to match). */
export const MAX_SHARE_EVENTS = 500
const MAX_SHARES_BODY = 256 * 1024

export const ShareReport = z
  .object({
    // Each event carries its owner's proof: without it an id could be claimed by anyone.
    events: z
      .array(ShareEvent.extend({ proof: OwnerProof }))
      .min(1, 'events is empty')
      .max(MAX_SHARE_EVENTS, `at most ${MAX_SHARE_EVENTS} events per request`),
  })
  .strict()

export type SharesDeps = {
  secret: string
  workspaces: WorkspaceStore
  shares: ShareStore
  log: Logger
  /** Links new shares to their member only if that member opted in to the leaderboard. */
  results?: ResultsStore
}

/**
 * `POST /api/v1/shares`: any member reports their own shares; re-sent ids count once. An id owned
 * by another device (a proof that does not match the first report's) refuses the batch: 409.
 */
export async function postShares(
  req: IncomingMessage,
  res: ServerResponse,
  deps: SharesDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  const { events } = await readJsonBody(req, ShareReport, MAX_SHARES_BODY)
  // The workspace comes from the token, never from the body; the member is not stored.
  let result: Awaited<ReturnType<ShareStore['record']>>
  try {
    result = await deps.shares.record(claims.ws, events, new Date())
  } catch (error) {
    if (error instanceof ShareConflictError) {
      deps.log.warn('share report refused: ids owned by another device', {
        workspace: claims.ws,
        member: claims.sub,
        ids: error.ids.length,
      })
      throw new ApiError(409, 'conflict', error.message)
    }
    throw error
  }
  await deps.results?.linkIfOptedIn(claims.ws, claims.sub, result.acceptedIds)
  // No member in the line either: the log must not say who shared what.
  deps.log.info('shares received', {
    workspace: claims.ws,
    accepted: result.accepted,
    duplicates: result.duplicates,
  })
  sendJson(res, 200, result)
}

/** `GET /api/v1/shares/summary`: the team's counts per item and network, for champions. */
export async function getSharesSummary(
  req: IncomingMessage,
  res: ServerResponse,
  deps: SharesDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  requireCurator(claims, 'the team summary')
  sendJson(res, 200, await deps.shares.summary(claims.ws))
}
