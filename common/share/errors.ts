/**
 * Why a share could not be prepared. `code` lets the popover show a translated message (the UI
 * speaks French and English); `message` is plain English a person understands, for logs and
 * as a fallback.
 */
export type ShareErrorCode =
  | 'not-a-web-link'
  | 'link-has-credentials'
  | 'mastodon-instance-missing'
  | 'mastodon-instance-invalid'

export class ShareError extends Error {
  readonly code: ShareErrorCode
  constructor(code: ShareErrorCode, message: string) {
    super(message)
    this.name = 'ShareError'
    this.code = code
  }
}
