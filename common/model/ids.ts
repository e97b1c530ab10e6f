import { z } from 'zod'
import { lazySchema } from './lazy'

/** Ids are short opaque strings; the pattern keeps them safe in URLs, room names and SQL. */
export const Id = lazySchema(() =>
  z
    .string()
    .min(3, 'id is too short')
    .max(64, 'id is too long')
    .regex(/^[A-Za-z0-9_-]+$/, 'id may only hold letters, digits, "_" and "-"'),
)
export type Id = z.infer<typeof Id>

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** A random id with a readable prefix, e.g. `item_k3j9x0q2m1p8`. */
export function newId(prefix: string, length = 12): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = ''
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length]
  return `${prefix}_${out}`
}
