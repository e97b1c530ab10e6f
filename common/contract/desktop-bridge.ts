/**
 * What the Electron preload exposes to windows as `window.porteVoix`. The dev/test host has no
 * bridge: windows then reach the core over a WebSocket. Share pages are opened by the core, never
 * by a window.
 */
export interface DesktopBridge {
  readonly platform: string
  hidePopover(): void
  openStudio(): void
  /** An invitation link opened from the OS (porte-voix://join?…): shown to the person to confirm. */
  onInvitation(listener: (link: string) => void): void
  /** A nudge notification was clicked: show this item (absent from an older preload). */
  onOpenItem?(listener: (itemId: string) => void): void
  /**
   * Post the core's MessagePort to the page now (CORE_PORT_MESSAGE), or as soon as main has given
   * it: the page's first module asks before the rest of the page has loaded (absent from an older
   * preload, which posts it at did-finish-load).
   */
  requestCorePort?(): void
}

/** The message under which the preload hands the core's MessagePort to the page. */
export const CORE_PORT_MESSAGE = 'porte-voix:core-port'
