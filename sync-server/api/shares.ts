import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import { ShareEvent } from '../../common/model/share'
import type { Logger } from '../log'
import type { ShareStore } from '../persistence/share-store'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { authenticate, requireCurator } from './auth'
import { readJsonBody } from './body'
import { sendJson } from './respond'

/** A core sends at most this many events per request (its outbox batches to match). */
export const MAX_SHARE_EVENTS = 500
const MAX_SHARES_BODY = 256 * 1024

export const ShareReport = z
  .object({
    events: z
      .array(ShareEvent)
      .min(1, 'events is empty')
      .max(MAX_SHARE_EVENTS, `at most ${MAX_SHARE_EVENTS} events per request`),
  })
  .strict()

export type SharesDeps = {
  secret: string
  workspaces: WorkspaceStore
  shares: ShareStore
  log: Logger
}

/** `POST /api/v1/shares`: any member reports their own shares; re-sent ids count once. */
export async function postShares(
  req: IncomingMessage,
  res: ServerResponse,
  deps: SharesDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  const { events } = await readJsonBody(req, ShareReport, MAX_SHARES_BODY)
  // The member and workspace come from the token, never from the body.
  const result = deps.shares.record(claims.ws, claims.sub, events, new Date())
  deps.log.info('shares received', { workspace: claims.ws, member: claims.sub, ...result })
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
  sendJson(res, 200, deps.shares.summary(claims.ws))
}
