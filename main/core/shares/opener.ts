import { externalUrl } from '../../../common/net/external-url'

/**
 * Where a share's target URL goes: the default browser (or mail app) of the person's machine.
 * The core cannot open anything itself (it is a plain Node process), so the process hosting it
 * supplies an Opener: Electron's utility process asks main, the dev host writes a log file.
 */
export interface Opener {
  open(url: string): Promise<void>
}

export class OpenerRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OpenerRefusedError'
  }
}

/**
 * Only web pages and mail drafts may ever be opened: anything else (`javascript:`, `file:`,
 * `data:`, a custom scheme) could run code or reach local files. Checked again here, right before
 * the URL leaves the core, whatever built it.
 */
export function assertOpenable(url: string): void {
  if (externalUrl(url) === null) {
    throw new OpenerRefusedError(
      'Refusing to open this URL: only http(s) and mailto, without spaces, control characters or credentials',
    )
  }
}

/** Wraps an opener so that nothing but http(s) and mailto: ever reaches it. */
export function checkedOpener(inner: Opener): Opener {
  return {
    open: async (url) => {
      assertOpenable(url)
      await inner.open(url)
    },
  }
}

/** For a core with no way to open a browser: sharing fails clearly instead of silently. */
export const unavailableOpener: Opener = {
  open: async () => {
    throw new OpenerRefusedError('This core has no browser to open the share page with')
  },
}
