import { ShareError } from './errors'

const INSTANCE_HELP = 'Enter just the server name, for example mastodon.social.'

/**
 * The Mastodon server to share through, as a bare host name ("mastodon.social"). Anything else
 * (a scheme, a path, a port, user info, spaces) is refused rather than repaired: the value is
 * pasted into a URL that opens in the browser, so only a plain host name is trusted.
 * Internationalised names are accepted and returned in their ASCII (punycode) form.
 */
export function mastodonInstanceHost(input: string | null | undefined): string {
  if (input === null || input === undefined || input === '') {
    throw new ShareError(
      'mastodon-instance-missing',
      `To share on Mastodon, first set your Mastodon server in Settings. ${INSTANCE_HELP}`,
    )
  }
  const invalid = new ShareError(
    'mastodon-instance-invalid',
    `"${input.slice(0, 80)}" is not a Mastodon server name. ${INSTANCE_HELP}`,
  )
  // Letters, digits, dots and hyphens only: no "/", ":", "@", "?", "#", "%", "\" or whitespace
  // that the URL parser would interpret or silently drop.
  if (input.length > 253 || !/^[\p{L}\p{N}.-]+$/u.test(input)) throw invalid
  let host: string
  try {
    host = new URL(`https://${input}/`).hostname
  } catch {
    throw invalid
  }
  const labels = host.split('.')
  const tld = labels[labels.length - 1] ?? ''
  const wellFormed =
    labels.length >= 2 &&
    labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) &&
    /[a-z]/.test(tld) // an IP address is not a Mastodon server name
  if (!wellFormed) throw invalid
  return host
}
