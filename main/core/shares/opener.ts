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

/** How long main has to say whether the page opened before the share is taken back. */
const OPEN_ANSWER_MS = 15_000

/**
 * An opener whose host opens the URL elsewhere (Electron main, for the utility process) and
 * answers: `open` resolves only once the host says the page opened, and rejects when it says it
 * could not (no browser, refused URL) or says nothing in time, so the share is taken back as in
 * the dev host. `settle` takes the host's answer.
 */
export class RequestOpener implements Opener {
  private next = 1
  private readonly pending = new Map<
    number,
    { resolve: () => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >()

  constructor(
    private readonly send: (request: { id: number; url: string }) => void,
    private readonly timeoutMs = OPEN_ANSWER_MS,
  ) {}

  open(url: string): Promise<void> {
    const id = this.next++
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new OpenerRefusedError('the desktop did not confirm that the page opened'))
      }, this.timeoutMs)
      timer.unref()
      this.pending.set(id, { resolve, reject, timer })
      try {
        this.send({ id, url })
      } catch (error) {
        this.settle(id, error instanceof Error ? error.message : String(error))
      }
    })
  }

  /** The host's answer to request `id`: null when the page opened, else why it did not. */
  settle(id: number, error: string | null): void {
    const waiting = this.pending.get(id)
    if (!waiting) return
    this.pending.delete(id)
    clearTimeout(waiting.timer)
    if (error === null) waiting.resolve()
    else waiting.reject(new OpenerRefusedError(error))
  }
}
