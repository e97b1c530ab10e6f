import { z } from 'zod'
import { DOC_NAMES } from '../doc/rooms'
import { lazySchema } from '../model/lazy'
import { Problem } from './problems'

/**
 * Framing of the contract. Yjs payloads (y-protocols sync and awareness messages) travel
 * base64-encoded so that one JSON framing works over every transport.
 */
const DocName = lazySchema(() => z.enum(DOC_NAMES))

export const ErrorCode = lazySchema(() =>
  z.enum([
    'bad_request',
    'not_found',
    'forbidden',
    'not_joined',
    'conflict',
    'unavailable',
    'internal',
  ]),
)
export type ErrorCode = z.infer<typeof ErrorCode>

export const ClientMessage = lazySchema(() =>
  z.discriminatedUnion('t', [
    z.object({
      t: z.literal('req'),
      id: z.number().int(),
      method: z.string(),
      params: z.unknown(),
    }),
    z.object({ t: z.literal('doc'), doc: DocName, data: z.base64() }),
    z.object({ t: z.literal('awareness'), doc: DocName, data: z.base64() }),
    z.object({ t: z.literal('doc.close'), doc: DocName }),
  ]),
)
export type ClientMessage = z.infer<typeof ClientMessage>

// Zod 4 refuses two members with the same discriminator value: responses are their own union.
const Response = lazySchema(() =>
  z.discriminatedUnion('ok', [
    z.object({
      t: z.literal('res'),
      id: z.number().int(),
      ok: z.literal(true),
      result: z.unknown(),
    }),
    z.object({
      t: z.literal('res'),
      id: z.number().int(),
      ok: z.literal(false),
      // `problem`: what the window says, when the core knows (e.g. storageFull).
      error: z.object({ code: ErrorCode, message: z.string(), problem: Problem.optional() }),
    }),
  ]),
)

export const ServerMessage = lazySchema(() =>
  z.discriminatedUnion('t', [
    Response,
    z.object({ t: z.literal('event'), name: z.string(), payload: z.unknown() }),
    z.object({ t: z.literal('doc'), doc: DocName, data: z.base64() }),
    z.object({ t: z.literal('awareness'), doc: DocName, data: z.base64() }),
  ]),
)
export type ServerMessage = z.infer<typeof ServerMessage>

export class ContractError extends Error {
  readonly code: ErrorCode
  readonly problem: Problem | undefined
  constructor(code: ErrorCode, message: string, problem?: Problem) {
    super(message)
    this.name = 'ContractError'
    this.code = code
    this.problem = problem
  }
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}
