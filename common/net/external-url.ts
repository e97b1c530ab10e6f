/**
 * What may leave the app to be opened by the OS: the web (share pages, articles) and e-mail
 * drafts. Returns the normalised URL to open (never the raw string), or null. Whitespace, control
 * characters and credentials are refused outright: they are how `java\tscript:` or
 * `https://bank@evil` slip through. The core checks with it before handing a URL out, and Electron
 * main checks again before `shell.openExternal`, since main trusts no other process.
 */
export function externalUrl(url: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (url.length > 32_768 || /[\s\u0000-\u001f\u007f]/.test(url)) return null
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol === 'mailto:') return parsed.href
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null
  if (parsed.hostname === '' || parsed.username !== '' || parsed.password !== '') return null
  return parsed.href
}
