import { isTrustedSender } from './security'

/**
 * Which window's page gets a port to the core, and when (core-process.ts wires it to Electron;
 * no Electron here, so it is tested under Node: tests/shell/core-ports.test.ts).
 */

/** What the checks read of a frame (Electron's WebFrameMain). */
export type FrameRef = {
  readonly processId: number
  readonly routingId: number
  readonly url: string
}

/** What the desk reads of a window (Electron's BrowserWindow). */
export type PortWindow = {
  isDestroyed(): boolean
  readonly webContents: { readonly mainFrame: FrameRef; reload(): void }
}

/** A page's ask (Electron's IpcMainEvent): the frame that sent it, read when it is answered. */
export type PortAsk = { readonly senderFrame: FrameRef | null }

/** Only the window's own main frame showing the app's page: no subframe, no other window. */
export function isOwnMainFrame(
  frame: FrameRef | null | undefined,
  main: FrameRef,
  appUrl: string,
): boolean {
  try {
    if (!frame || frame.processId !== main.processId || frame.routingId !== main.routingId)
      return false
    return isTrustedSender(frame.url, appUrl)
  } catch {
    // A frame disposed since (Electron throws on its properties): the page it showed is gone.
    return false
  }
}

/**
 * A page's preload asks for its port as it starts. While the core is down (its crash-restart
 * backoff) the ask is held, the page's latest only (a page reloaded meanwhile asked again), and
 * answered once the core is back, if the window is still open and its main frame still shows the
 * app's page. Pages that hold a port to the core that exited are reloaded at the restart (their
 * port is dead, their state stale); a page answered from a held ask is not: it asked after the
 * exit, so it holds nothing of the old core.
 */
export class CorePorts<W extends PortWindow, E extends PortAsk> {
  readonly #appUrl: () => string
  readonly #give: (ask: E) => void
  #running = false
  /** Asks that came while the core was down, one per window. */
  readonly #held = new Map<W, E>()
  /** Windows whose page holds a port to the running core. */
  #attached = new Set<W>()
  /** Windows whose page holds a port to the core that exited. */
  #stale = new Set<W>()

  /**
   * `appUrl`: the app's page (read at each check: the dev server's URL is set at start-up);
   * `give`: a new port to the running core, posted to the asking page.
   */
  constructor(options: { appUrl: () => string; give: (ask: E) => void }) {
    this.#appUrl = options.appUrl
    this.#give = options.give
  }

  /** A window's page asked (IPC.askCorePort): answered now, or held until the core is back. */
  asked(window: W, ask: E): void {
    if (!this.#valid(window, ask)) return
    if (!this.#running) {
      this.#held.set(window, ask)
      return
    }
    this.#answer(window, ask)
  }

  /** The core is running (its first start, or a restart after a crash). */
  started(): void {
    this.#running = true
    const held = [...this.#held]
    this.#held.clear()
    const stale = this.#stale
    this.#stale = new Set()
    for (const [window, ask] of held) {
      stale.delete(window)
      // Checked again: the page may have gone (navigated, closed) while it waited.
      if (this.#valid(window, ask)) this.#answer(window, ask)
    }
    // Its reloaded page asks again, and is answered at once.
    for (const window of stale) if (!window.isDestroyed()) window.webContents.reload()
  }

  /** The core exited: the ports given so far are dead, asks wait for the restart. */
  stopped(): void {
    this.#running = false
    for (const window of this.#attached) this.#stale.add(window)
    this.#attached = new Set()
  }

  /** The window closed: nothing of it is kept (its held ask is never answered). */
  closed(window: W): void {
    this.#held.delete(window)
    this.#attached.delete(window)
    this.#stale.delete(window)
  }

  #valid(window: W, ask: E): boolean {
    return (
      !window.isDestroyed() &&
      isOwnMainFrame(ask.senderFrame, window.webContents.mainFrame, this.#appUrl())
    )
  }

  #answer(window: W, ask: E): void {
    this.#attached.add(window)
    this.#give(ask)
  }
}
