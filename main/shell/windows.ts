import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BrowserWindow, protocol, type Session, shell, type WebContents } from 'electron'
import {
  APP_ORIGIN,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  appResponseHeaders,
  cachedReads,
  resolveAppRequest,
} from './app-scheme'
import {
  CONTENT_SECURITY_POLICY,
  externalUrl,
  isNavigationAllowed,
  popoverWindowOptions,
  studioWindowOptions,
} from './security'

const preloadPath = join(import.meta.dirname, '../preload/index.cjs')
const rendererRoot = join(import.meta.dirname, '../renderer')

/**
 * The page every window shows: the built renderer from the app's own scheme (app-scheme.ts: V8
 * code cache, which file:// never gets); electron-vite sets ELECTRON_RENDERER_URL while developing.
 */
export function appUrl(view: 'popover' | 'studio'): string {
  const base = process.env.ELECTRON_RENDERER_URL
  const page = base
    ? new URL('index.html', base.endsWith('/') ? base : `${base}/`)
    : new URL(`${APP_ORIGIN}/index.html`)
  page.hash = view
  return page.toString()
}

/** Before the app is ready (Electron's rule): the windows' scheme and its privileges. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }])
}

/** The renderer's files from the app's own folder (inside the asar: Electron's fs reads it). */
function serveAppScheme(session: Session): void {
  const read = cachedReads((file) => readFile(file))
  session.protocol.handle(APP_SCHEME, async (request) => {
    const resolved = resolveAppRequest(rendererRoot, request.url, request.method)
    if ('status' in resolved) return new Response(null, { status: resolved.status })
    try {
      // A copy of the kept bytes: Response may take over (detach) the buffer it is given.
      const body = request.method === 'HEAD' ? null : (await read(resolved.file)).slice()
      return new Response(body, { headers: appResponseHeaders(resolved.file) })
    } catch {
      return new Response(null, { status: 404 })
    }
  })
}

/**
 * Session-wide rules, set once at start-up: the app scheme served, a CSP header on every
 * response, no permissions.
 */
export function hardenSession(session: Session): void {
  serveAppScheme(session)
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    })
  })
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    // The popover writes the caption to the clipboard; nothing else is ever granted.
    callback(permission === 'clipboard-sanitized-write')
  })
}

/** Lock a window's contents down: no navigation, no new windows, no webviews. */
function harden(contents: WebContents, url: string): void {
  contents.on('will-navigate', (event, target) => {
    if (!isNavigationAllowed(target, url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, target) => {
    if (!isNavigationAllowed(target, url)) event.preventDefault()
  })
  contents.setWindowOpenHandler(({ url: target }) => {
    // Links the page opens go to the default browser, never to a new Electron window.
    const url = externalUrl(target)
    if (url) void shell.openExternal(url)
    return { action: 'deny' }
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

export function createPopover(): BrowserWindow {
  const window = new BrowserWindow(popoverWindowOptions(preloadPath))
  const url = appUrl('popover')
  harden(window.webContents, url)
  // Hidden on blur like a menu; kept alive so it opens instantly next time.
  window.on('blur', () => {
    if (!window.webContents.isDevToolsOpened()) window.hide()
  })
  void window.loadURL(url)
  return window
}

export function createStudio(): BrowserWindow {
  const window = new BrowserWindow(studioWindowOptions(preloadPath))
  const url = appUrl('studio')
  harden(window.webContents, url)
  window.once('ready-to-show', () => window.show())
  void window.loadURL(url)
  return window
}
