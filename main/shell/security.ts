import type { BrowserWindowConstructorOptions } from 'electron'

/**
 * The Electron security checklist, as data, so tests can check it without the Electron binary.
 * Windows hold no Node: everything privileged happens in main or in the core process.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // React writes styles through the CSSOM, which CSP allows; no inline <style> or eval is needed.
  "style-src 'self'",
  // No remote image: the core fetches item images and hands them over as data: URLs, so an
  // image host never sees an employee's address (main/core/images).
  "img-src 'self' data:",
  "font-src 'self'",
  // Windows reach the core through a MessagePort in the app; 'self' (which in CSP3 covers ws: to
  // the same host) only serves the dev server's reload socket and the dev/test host.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const satisfies BrowserWindowConstructorOptions['webPreferences']

export const POPOVER_SIZE = { width: 380, height: 580 } as const

export function popoverWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    ...POPOVER_SIZE,
    show: false,
    frame: false,
    resizable: false,
    movable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    skipTaskbar: true,
    alwaysOnTop: true,
    transparent: false,
    backgroundColor: '#00000000',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  }
}

export function studioWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 800,
    minHeight: 500,
    show: false,
    title: 'Porte-voix Studio',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  }
}

/**
 * IPC sender check: a message is trusted only from a frame showing our own renderer
 * (same origin for the dev server; the app scheme's host and page for built windows, see
 * app-scheme.ts), never from a navigated-away or embedded frame, nor from a file:// page.
 */
export function isTrustedSender(frameUrl: string | undefined | null, appUrl: string): boolean {
  if (!frameUrl) return false
  let frame: URL
  let app: URL
  try {
    frame = new URL(frameUrl)
    app = new URL(appUrl)
  } catch {
    return false
  }
  if (app.protocol === 'http:' || app.protocol === 'https:') return frame.origin === app.origin
  // A custom scheme's URL has the opaque origin "null" for WHATWG URL (so have data: and file:),
  // so the scheme, host and page are compared instead.
  return (
    app.protocol !== 'file:' &&
    frame.protocol === app.protocol &&
    frame.host === app.host &&
    frame.port === app.port &&
    frame.pathname === app.pathname
  )
}

/** In-app navigation never leaves the app's own page. */
export function isNavigationAllowed(targetUrl: string, appUrl: string): boolean {
  return isTrustedSender(targetUrl, appUrl)
}

/** `shell.openExternal` opens only what this returns (shared with the core's own check). */
export { externalUrl } from '../../common/net/external-url'
