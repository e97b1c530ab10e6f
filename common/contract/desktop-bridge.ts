/**
 * What the Electron preload exposes to windows as `window.porteVoix`. The dev/test host has no
 * bridge: windows then reach the core over a WebSocket and the host plays the opener.
 */
export interface DesktopBridge {
  readonly platform: string
  openExternal(url: string): Promise<{ ok: true } | { ok: false; error: string }>
  hidePopover(): void
  openStudio(): void
}
