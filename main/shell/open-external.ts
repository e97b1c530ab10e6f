import { externalUrl } from '../../common/net/external-url'
import type { ParentMessage } from '../core/process-protocol'

/** How main opens a page outside the app: `shell.openExternal` in the app, anything in tests. */
export type OpenPage = (url: string) => Promise<void>

/** The answer for a URL main will not open (logged by the caller). */
export const REFUSED_URL = 'refused: not a web or mail address'

/**
 * Main's answer to the core's `open-external` request. The core takes the share back unless this
 * says the page opened, so every path answers: a URL main refuses (it trusts no child process
 * and checks again), an opener that rejects, and one that throws before returning a promise.
 * Kept free of `electron` so the decision runs under plain Node in tests.
 */
export async function answerOpenExternal(
  request: { id: number; url: string },
  open: OpenPage,
): Promise<Extract<ParentMessage, { type: 'opened' }>> {
  const url = externalUrl(request.url)
  if (!url) return { type: 'opened', id: request.id, error: REFUSED_URL }
  try {
    await open(url)
    return { type: 'opened', id: request.id, error: null }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // The protocol bounds the reason's length; a reason is never empty (empty would read as "no").
    return { type: 'opened', id: request.id, error: message.slice(0, 2_000) || 'could not open' }
  }
}
