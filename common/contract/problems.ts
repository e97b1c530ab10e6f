import { z } from 'zod'
import { lazySchema } from '../model/lazy'

/**
 * What went wrong, as a code the windows translate (EN/FR) — never an internal message, method
 * name or stack. `vars` fills the translated sentence (relay URL, a date as an ISO instant the
 * window formats in the person's locale, a limit). Core, relay and feed errors all end up here.
 */
export const ProblemCode = lazySchema(() =>
  z.enum([
    // Joining and the connection to the relay.
    'invitationExpired',
    'invitationRevoked',
    'invitationInvalid',
    'invitationMalformed',
    'wrongRelay',
    'relayUnreachable',
    'relayRefused',
    'memberRemoved',
    'roleChanged',
    /** The member already has as many live connections as the relay allows (8.11). */
    'tooManyConnections',
    'closedForGood',
    // Changes and requests.
    'changeTooLarge',
    'changeRefused',
    'fieldTooLong',
    'tooManyVariants',
    'notAllowed',
    'notFound',
    'conflict',
    'invalidInput',
    'rateLimited',
    'storageFull',
    'storageFailed',
    // Feeds and fetched pages.
    'feedUnreachable',
    'feedInvalid',
    'feedAddressRefused',
    'feedTooLarge',
    // Anything else: a bug; the window says so without details.
    'internal',
  ]),
)
export type ProblemCode = z.infer<typeof ProblemCode>

export const Problem = lazySchema(() =>
  z.object({
    code: ProblemCode,
    vars: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  }),
)
export type Problem = z.infer<typeof Problem>

export function problem(code: ProblemCode, vars?: Problem['vars']): Problem {
  return vars ? { code, vars } : { code }
}
