import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import { OwnerProof, ShareId } from '../../common/model/share'
import type { ResultsStore } from '../links/results-store'
import type { Logger } from '../log'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { authenticate } from './auth'
import { readJsonBody } from './body'
import { sendJson } from './respond'

const MAX_LEADERBOARD_BODY = 128 * 1024

export const LeaderboardChoice = z
  .object({
    optIn: z.boolean(),
    /** On opting in: the shares made so far, with their ownership proofs, to be counted as mine. */
    shares: z
      .array(z.object({ id: ShareId, proof: OwnerProof }).strict())
      .max(500)
      .default([]),
  })
  .strict()

export type LeaderboardDeps = {
  secret: string
  workspaces: WorkspaceStore
  results: ResultsStore
  log: Logger
}

/**
 * `POST /api/v1/leaderboard`: the member's own choice (off by default). Opting in links the
 * proven shares (and later reports) to the member; opting out deletes every such link.
 */
export async function postLeaderboard(
  req: IncomingMessage,
  res: ServerResponse,
  deps: LeaderboardDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  const choice = await readJsonBody(req, LeaderboardChoice, MAX_LEADERBOARD_BODY)
  if (choice.optIn) {
    const linked = await deps.results.optIn(claims.ws, claims.sub, choice.shares, new Date())
    deps.log.info('leaderboard opt-in', { workspace: claims.ws, member: claims.sub, linked })
    sendJson(res, 200, { optedIn: true, linked })
  } else {
    const removed = await deps.results.optOut(claims.ws, claims.sub)
    deps.log.info('leaderboard opt-out', { workspace: claims.ws, member: claims.sub, removed })
    sendJson(res, 200, { optedIn: false, removed })
  }
}
