import type { IncomingMessage } from 'node:http'
import type { z } from 'zod'
import { describeIssues } from '../../common/model/validation'
import { ApiError } from './respond'

/**
 * Read a JSON body of at most `maxBytes` and validate it. The limit is enforced while reading
 * (a declared Content-Length over it is refused before any byte is read), so a huge or endless
 * body costs the relay nothing.
 */
export async function readJsonBody<T extends z.ZodType>(
  req: IncomingMessage,
  schema: T,
  maxBytes: number,
): Promise<z.infer<T>> {
  const type = req.headers['content-type'] ?? ''
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json')
  }
  const declared = Number(req.headers['content-length'] ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new ApiError(413, 'payload_too_large', `body is over ${maxBytes} bytes`)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > maxBytes) {
      throw new ApiError(413, 'payload_too_large', `body is over ${maxBytes} bytes`)
    }
    chunks.push(buffer)
  }
  let json: unknown
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ApiError(400, 'bad_request', 'body is not valid JSON')
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    throw new ApiError(
      400,
      'bad_request',
      `invalid body: ${describeIssues(parsed.error).join('; ')}`,
    )
  }
  return parsed.data
}
