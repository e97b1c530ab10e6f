import { createRequire } from 'node:module'
import path from 'node:path'
import type { Opener } from '../core/shares/opener'

/** Where the dev host records the share pages it was asked to open, one JSON line each. */
export const OPENED_URLS_FILE = 'opened-urls.jsonl'

/**
 * The dev host runs without a desktop, so it cannot open a browser: it appends `{ url, at }` to
 * `<dataDir>/opened-urls.jsonl` and logs it. End-to-end tests read that file to check the exact
 * share page a click produced.
 */
export function fileOpener(dataDir: string, log: (line: string) => void): Opener {
  const file = path.join(dataDir, OPENED_URLS_FILE)
  return {
    open: async (url) => {
      // Loaded on the first open, not at the start (node:fs/promises loads ~20 built-in modules).
      const { appendFile } = createRequire(import.meta.url)(
        'node:fs/promises',
      ) as typeof import('node:fs/promises')
      await appendFile(file, `${JSON.stringify({ url, at: new Date().toISOString() })}\n`, 'utf8')
      log(`opener: would open ${url}`)
    },
  }
}
