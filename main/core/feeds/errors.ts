/** Why fetching or reading a feed (or a page) failed; stable codes the studio can map to help. */
export const FEED_ERROR_CODES = [
  'timeout',
  'too_large',
  'http_status',
  'bad_url',
  'network',
  'parse',
] as const
export type FeedErrorCode = (typeof FEED_ERROR_CODES)[number]

/**
 * A failure with a message a champion can act on ("The feed at … did not answer within 10 s"),
 * never a stack trace or an undici error name.
 */
export class FeedError extends Error {
  readonly code: FeedErrorCode

  constructor(code: FeedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FeedError'
    this.code = code
  }
}

/** Long or hostile URLs are shortened so messages stay readable in a list of sources. */
export function displayUrl(url: string): string {
  const oneLine = url.replace(/\s+/g, ' ')
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}…` : oneLine
}
