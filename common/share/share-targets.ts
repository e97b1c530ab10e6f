import type { Network } from '../model/networks'
import { mastodonInstanceHost } from './mastodon-instance'
import { appendLink, postedText } from './posted-text'
import { parseWebLink } from './tracked-link'

/** What to hand the opener: a web page for the default browser, or a mailto: for the mail app. */
export type ShareTarget = { kind: 'open'; url: string } | { kind: 'mailto'; url: string }

export interface ShareContent {
  /** The tracked link (from `trackedUrl`). */
  url: string
  /** The caption as the person edited it. */
  text: string
  /** The item's title, used as the e-mail subject. */
  title: string
  /** Bare host name of the person's Mastodon server, e.g. "mastodon.social". */
  mastodonInstance?: string | null
}

/** Percent-encode a parameter value; lone surrogates (broken paste) become U+FFFD, not a throw. */
function encode(value: string): string {
  return encodeURIComponent(
    value.replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD',
    ),
  )
}

/**
 * The network's own share page for this link and caption. Each URL follows the network's
 * documented share intent; parameter values are percent-encoded with %20 for spaces (never "+",
 * which mail clients would show literally).
 */
export function shareTarget(network: Network, content: ShareContent): ShareTarget {
  // Refuse a non-web link here too: this URL is about to be opened by the OS.
  const link = parseWebLink(content.url).href
  const text = postedText(network, content.text, link)
  switch (network) {
    case 'linkedin':
      // share-offsite takes only `url`; the caption goes through the clipboard.
      return {
        kind: 'open',
        url: `https://www.linkedin.com/sharing/share-offsite/?url=${encode(link)}`,
      }
    case 'facebook':
      // URL only: Facebook's Platform Policy forbids pre-filling the text a person posts.
      return { kind: 'open', url: `https://www.facebook.com/sharer/sharer.php?u=${encode(link)}` }
    case 'x': {
      // docs.x.com ("Web intent") documents https://x.com/intent/tweet with `text` and `url`;
      // x.com/intent/post also answers but is not documented, so the documented one is used.
      const caption = content.text.trimEnd()
      const base = `https://x.com/intent/tweet?text=${encode(caption)}`
      return {
        kind: 'open',
        url: caption.includes(link) ? base : `${base}&url=${encode(link)}`,
      }
    }
    case 'bluesky':
      // docs.bsky.app "Action Intent Links": one `text` parameter, link included in it.
      return { kind: 'open', url: `https://bsky.app/intent/compose?text=${encode(text)}` }
    case 'mastodon': {
      const host = mastodonInstanceHost(content.mastodonInstance)
      return { kind: 'open', url: `https://${host}/share?text=${encode(text)}` }
    }
    case 'whatsapp':
      // WhatsApp click-to-chat without a phone number lets the person pick the chat.
      return { kind: 'open', url: `https://wa.me/?text=${encode(text)}` }
    case 'email': {
      // RFC 6068: line breaks in a mailto body are written %0D%0A.
      const body = text.replace(/\r?\n/g, '\r\n')
      return {
        kind: 'mailto',
        url: `mailto:?subject=${encode(content.title)}&body=${encode(body)}`,
      }
    }
  }
}

/**
 * Whether the network's share page carries the link itself (as a parameter or inside the
 * pre-filled text). All do today; a page that did not would get the link in the clipboard.
 */
export const SHARE_PAGE_CARRIES_LINK: Readonly<Record<Network, boolean>> = {
  linkedin: true,
  facebook: true,
  x: true,
  bluesky: true,
  mastodon: true,
  whatsapp: true,
  email: true,
}

/**
 * What goes to the clipboard when sharing: the caption, so the person can paste it where the
 * share page cannot be pre-filled (LinkedIn; Facebook, where they paste their own words) and
 * still has it if a page drops it. The link is added only where the page does not carry it, so
 * pasting never duplicates the link.
 */
export function clipboardText(network: Network, caption: string, trackedUrl: string): string {
  if (SHARE_PAGE_CARRIES_LINK[network]) return caption.trimEnd()
  return appendLink(caption, trackedUrl, '\n\n')
}
