import type { ServerMessage } from '../../../common/contract/messages'
import type { CoreContext } from './context'
import { dispatch } from './dispatch'
import { handlers } from './handlers'

/**
 * Validate a request's params with the contract's schema, run its handler, and check the result
 * against the contract before it leaves (a bug here must not reach a window as bad data).
 */
export function route(
  ctx: CoreContext,
  request: { id: number; method: string; params: unknown },
  log: (line: string) => void = () => {},
): Promise<ServerMessage> {
  return dispatch(handlers, ctx, request, log)
}
