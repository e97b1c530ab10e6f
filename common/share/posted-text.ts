import type { Network } from '../model/networks'

/**
 * How each network's share page receives the link and the caption:
 * - `url-param`: the link travels as its own parameter and the caption cannot be pre-filled
 *   (LinkedIn's share-offsite takes only `url`; Facebook's policy forbids pre-filled text), so
 *   the caption goes through the clipboard and the link becomes a preview card, not text;
 * - `text-and-url`: X takes `text` and `url` and posts "text url";
 * - `in-text`: only a text parameter (Bluesky, Mastodon, WhatsApp, e-mail body), so the link is
 *   appended to the caption.
 */
export type LinkPlacement = 'url-param' | 'text-and-url' | 'in-text'

export const LINK_PLACEMENT: Readonly<Record<Network, LinkPlacement>> = {
  linkedin: 'url-param',
  facebook: 'url-param',
  x: 'text-and-url',
  bluesky: 'in-text',
  mastodon: 'in-text',
  whatsapp: 'in-text',
  email: 'in-text',
}

/** Whether the network's share page is pre-filled with the caption (else: paste it). */
export function sharePagePrefillsCaption(network: Network): boolean {
  return LINK_PLACEMENT[network] !== 'url-param'
}

/** Caption then link, unless the person already put the link in their caption. */
export function appendLink(caption: string, url: string, separator: string): string {
  const text = caption.trimEnd()
  if (text.trim() === '') return url
  if (text.includes(url)) return text
  return `${text}${separator}${url}`
}

/**
 * The text the post will hold once published, which is what the length counter must measure:
 * with the link for networks that put it in the text, without it where it becomes a card.
 */
export function postedText(network: Network, caption: string, url?: string): string {
  if (url === undefined || url === '') return caption
  switch (LINK_PLACEMENT[network]) {
    case 'url-param':
      return caption
    case 'text-and-url':
      return appendLink(caption, url, ' ') // X joins its text and url parameters with a space.
    case 'in-text':
      return appendLink(caption, url, '\n\n')
  }
}
