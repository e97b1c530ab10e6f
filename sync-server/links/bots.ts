/**
 * Link-preview fetchers and crawlers: followed to the page (the preview must work) but never
 * counted as clicks. Matched on the user agent; an empty one is a script, not a person.
 */
const BOT_PATTERN =
  /linkedinbot|facebookexternalhit|facebot|twitterbot|slackbot|slack-imgproxy|whatsapp|telegrambot|discordbot|mastodon|bluesky|cardyb|skypeuripreview|applebot|googlebot|bingbot|yandex|baiduspider|duckduckbot|embedly|iframely|pinterest|redditbot|vkshare|preview|crawler|spider|\bbot\b|bot\/|curl\/|wget\/|python-requests|go-http-client/i

export function isBot(userAgent: string | undefined): boolean {
  if (!userAgent || userAgent.trim() === '') return true
  return BOT_PATTERN.test(userAgent)
}

/**
 * The user agent reduced to its browser family and platform ("firefox/linux"): enough to tell two
 * people behind one address apart, too coarse to fingerprint anyone. Only its hash is stored.
 */
export function uaFamily(userAgent: string): string {
  const ua = userAgent.toLowerCase()
  const browser = /edg\//.test(ua)
    ? 'edge'
    : /firefox\//.test(ua)
      ? 'firefox'
      : /chrome\/|crios\//.test(ua)
        ? 'chrome'
        : /safari\//.test(ua)
          ? 'safari'
          : 'other'
  const platform = /android/.test(ua)
    ? 'android'
    : /iphone|ipad|ios/.test(ua)
      ? 'ios'
      : /windows/.test(ua)
        ? 'windows'
        : /mac os/.test(ua)
          ? 'mac'
          : /linux/.test(ua)
            ? 'linux'
            : 'other'
  return `${browser}/${platform}`
}
