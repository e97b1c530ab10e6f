import { ContractError } from '../../common/contract/messages'

/** An error class, to check what was thrown against (`instanceof`). */
type ErrorClass<E extends Error> = abstract new (...args: never[]) => E

/** The `type` error `run` throws; any other error is rethrown, and no error fails the test. */
export function thrownBy<E extends Error>(run: () => unknown, type: ErrorClass<E>): E {
  try {
    run()
  } catch (error) {
    if (error instanceof type) return error
    throw error
  }
  throw new Error(`expected a ${type.name}`)
}

/** The `type` error `promise` rejects with; any other error is rethrown, and success fails the test. */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: ErrorClass<E>,
): Promise<E> {
  try {
    await promise
  } catch (error) {
    if (error instanceof type) return error
    throw error
  }
  throw new Error(`expected a ${type.name}`)
}

/** The ContractError a core call fails with. */
export function errorOf(promise: Promise<unknown>): Promise<ContractError> {
  return rejectionOf(promise, ContractError)
}
