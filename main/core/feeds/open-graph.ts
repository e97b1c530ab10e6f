import { Parser } from 'htmlparser2'
import { normalizeText, resolveHttpUrl, truncateText } from './text'

export type OpenGraph = { title?: string; imageUrl?: string; description?: string }

/** Keys in order of preference: Open Graph first, then Twitter cards, then plain HTML meta. */
const TITLE_KEYS = ['og:title', 'twitter:title']
const IMAGE_KEYS = [
  'og:image:secure_url',
  'og:image',
  'og:image:url',
  'twitter:image',
  'twitter:image:src',
]
const DESCRIPTION_KEYS = ['og:description', 'twitter:description', 'description']

function firstOf(found: Map<string, string>, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = found.get(key)
    if (value !== undefined && value.trim() !== '') return value
  }
  return undefined
}

/**
 * Read the link-preview metadata of a page: og:title, og:image, og:description with twitter:*
 * fallbacks. Values are plain text (attribute values are never markup); the image is kept only
 * if it resolves to http(s), against <base href> when the page declares one.
 */
export function readOpenGraph(html: string, pageUrl: string): OpenGraph {
  const found = new Map<string, string>()
  let base = pageUrl
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'base' && attributes.href !== undefined) {
          base = resolveHttpUrl(attributes.href, pageUrl) ?? base
        } else if (name === 'meta') {
          const key = (attributes.property ?? attributes.name ?? '').trim().toLowerCase()
          const content = attributes.content
          // The first occurrence wins: pages repeat og:image for alternates, best first.
          if (key !== '' && content !== undefined && !found.has(key)) found.set(key, content)
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  // Pages sometimes put their meta tags in <body>, so the whole (size-capped) page is read.
  parser.write(html)
  parser.end()

  const result: OpenGraph = {}
  const title = normalizeText(firstOf(found, TITLE_KEYS) ?? '')
  if (title !== '') result.title = truncateText(title, 300)
  const description = normalizeText(firstOf(found, DESCRIPTION_KEYS) ?? '')
  if (description !== '') result.description = truncateText(description, 500)
  for (const key of IMAGE_KEYS) {
    const image = resolveHttpUrl(found.get(key), base)
    if (image !== null) {
      result.imageUrl = image
      break
    }
  }
  return result
}
