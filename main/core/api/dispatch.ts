/**
 * Running a contract request against a table of handlers: params validated with the contract's
 * schema, the result checked against it before it leaves, errors turned into contract errors.
 * The core's router (router.ts) and the first screen's (first-screen.ts) share it.
 */
import { type MethodName, methods } from '../../../common/contract/api'
import { ContractError, type ServerMessage } from '../../../common/contract/messages'
import { InvitationError } from '../../../common/model/invitation'
import { describeIssues, ValidationError } from '../../../common/model/validation'
import { workDone } from '../runtime-flags'

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name)
}

function failure(
  id: number,
  code: ContractError['code'],
  message: string,
  problem?: ContractError['problem'],
): ServerMessage {
  return {
    t: 'res',
    id,
    ok: false,
    error: problem ? { code, message, problem } : { code, message },
  }
}

/**
 * Validate a request's params with the contract's schema, run its handler, and check the result
 * against the contract before it leaves (a bug here must not reach a window as bad data).
 */
export async function dispatch<C>(
  table: { readonly [M in MethodName]?: (ctx: C, params: never) => unknown },
  ctx: C,
  request: { id: number; method: string; params: unknown },
  log: (line: string) => void = () => {},
): Promise<ServerMessage> {
  const { id, method } = request
  // What a request leaves behind is collected once the core is idle again (runtime-flags.ts).
  workDone()
  if (!isMethodName(method)) return failure(id, 'bad_request', `Unknown method "${method}"`)
  const spec = methods[method]
  const params = spec.params.safeParse(request.params ?? {})
  if (!params.success) {
    return failure(
      id,
      'bad_request',
      `${method}: invalid params: ${describeIssues(params.error).join('; ')}`,
    )
  }
  try {
    const handler = table[method] as ((ctx: C, params: unknown) => unknown) | undefined
    if (!handler) return failure(id, 'internal', `${method}: no handler here`)
    const value = await handler(ctx, params.data)
    const result = spec.result.safeParse(value)
    if (!result.success) {
      log(
        `${method}: result does not match the contract: ${describeIssues(result.error).join('; ')}`,
      )
      return failure(id, 'internal', `${method}: the core produced a malformed result`)
    }
    return { t: 'res', id, ok: true, result: result.data }
  } catch (error) {
    if (error instanceof ContractError) return failure(id, error.code, error.message, error.problem)
    if (error instanceof ValidationError)
      return failure(id, 'bad_request', `${method}: ${error.message}`)
    if (error instanceof InvitationError) return failure(id, 'bad_request', error.message)
    const message = error instanceof Error ? error.message : String(error)
    log(`${method}: internal error: ${error instanceof Error ? (error.stack ?? message) : message}`)
    return failure(id, 'internal', `${method} failed: ${message}`)
  }
}
