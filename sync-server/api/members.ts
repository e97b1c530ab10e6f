import type { IncomingMessage, ServerResponse } from 'node:http'
import { forgetMember } from '../admin/admin'
import type { ResultsStore } from '../links/results-store'
import type { Logger } from '../log'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { authenticate } from './auth'
import { sendJson } from './respond'

export type MembersDeps = {
  secret: string
  workspaces: WorkspaceStore
  results: Pick<ResultsStore, 'optOut'>
  log: Logger
  /** After a deletion: close the member's live sockets and drop them from the directory now. */
  onMemberDeleted?: () => void
}

/**
 * `DELETE /api/v1/members/me`: "Leave and delete" from the app (issue 8.13). The member's own
 * token, checked like every API call, deletes exactly what `relay:admin delete-member` deletes.
 */
export async function deleteMe(
  req: IncomingMessage,
  res: ServerResponse,
  deps: MembersDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  req.resume()
  const result = await forgetMember(deps.workspaces, deps.results, claims.sub)
  deps.log.info('member deleted on their request', { workspace: claims.ws, member: claims.sub })
  sendJson(res, 200, result)
  deps.onMemberDeleted?.()
}
