import type { IncomingMessage, ServerResponse } from 'node:http'
import { MyResultsRequest } from '../../common/model/results'
import type { ResultsStore } from '../links/results-store'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { authenticate } from './auth'
import { readJsonBody } from './body'
import { sendJson } from './respond'

const MAX_RESULTS_BODY = 128 * 1024

export type ResultsDeps = { secret: string; workspaces: WorkspaceStore; results: ResultsStore }

/**
 * `POST /api/v1/results/mine`: the clicks and conversions of the shares whose ownership proofs
 * the device sends. The token only says which workspace; the proofs say which shares, so the
 * relay serves a member's results without ever storing whose shares they are.
 */
export async function postMyResults(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ResultsDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  const { shares } = await readJsonBody(req, MyResultsRequest, MAX_RESULTS_BODY)
  sendJson(res, 200, await deps.results.mine(claims.ws, shares))
}
