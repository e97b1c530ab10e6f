import { join } from 'node:path'
import { app, BrowserWindow, globalShortcut, ipcMain, screen, shell } from 'electron'
import type { CoreClient } from '../common/contract/client'
import { canCurate } from '../common/model/member'
import { CoreProcess } from './shell/core-process'
import { findDeepLink, PROTOCOL } from './shell/deep-link'
import { IPC } from './shell/ipc'
import { popoverPosition } from './shell/popover-position'
import { isExternalUrlAllowed, isTrustedSender, POPOVER_SIZE } from './shell/security'
import { AppTray } from './shell/tray'
import { appUrl, createPopover, createStudio } from './shell/windows'

/**
 * The Electron shell: tray, windows, OS integration and IPC wiring only. All product logic lives
 * in the core process (main/core), reached through the contract.
 */

const OPEN_SHORTCUT = 'CommandOrControl+Alt+P'

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  const core = new CoreProcess(
    join(app.getPath('userData'), 'data'),
    app.isPackaged
      ? null
      : join(
          app.getAppPath(),
          `.electron-native/better-sqlite3-electron-${process.versions.electron}/build/Release/better_sqlite3.node`,
        ),
  )
  let coreClient: CoreClient | null = null
  let tray: AppTray | null = null
  let popover: BrowserWindow | null = null
  let studio: BrowserWindow | null = null
  let pendingLink: string | null = findDeepLink(process.argv)

  app.setAsDefaultProtocolClient(PROTOCOL)

  // The tray says "offline" first, then "something new" until the popover is opened.
  let offline = false
  let hasNews = false
  const updateTray = () => tray?.setState(offline ? 'offline' : hasNews ? 'new' : 'idle')

  const showPopover = () => {
    if (!popover || popover.isDestroyed()) {
      popover = createPopover()
      core.connect(popover)
    }
    const cursor = screen.getCursorScreenPoint()
    const display = screen.getDisplayNearestPoint(cursor)
    const position = popoverPosition({
      trayBounds: tray?.bounds ?? null,
      cursor,
      workArea: display.workArea,
      size: POPOVER_SIZE,
    })
    popover.setPosition(position.x, position.y)
    popover.show()
    hasNews = false
    updateTray()
    popover.focus()
  }

  const showStudio = () => {
    if (studio && !studio.isDestroyed()) {
      studio.focus()
      return
    }
    studio = createStudio()
    core.connect(studio)
  }

  const joinFromLink = async (link: string) => {
    if (!coreClient) {
      pendingLink = link
      return
    }
    try {
      await coreClient.call('workspace.join', { invitation: link })
    } catch (error) {
      console.error(`[main] could not join from link: ${(error as Error).message}`)
    }
    showPopover()
  }

  app.on('second-instance', (_event, argv) => {
    const link = findDeepLink(argv)
    if (link) void joinFromLink(link)
    else showPopover()
  })
  app.on('open-url', (event, url) => {
    event.preventDefault()
    void joinFromLink(url)
  })

  // Every IPC message is checked against the window it claims to come from.
  const trusted = (event: Electron.IpcMainEvent | Electron.IpcMainInvokeEvent) => {
    const window = BrowserWindow.fromWebContents(event.sender)
    const view = window === studio ? 'studio' : 'popover'
    return isTrustedSender(event.senderFrame?.url, appUrl(view))
  }

  ipcMain.handle(IPC.openExternal, async (event, payload: unknown) => {
    if (!trusted(event)) return { ok: false, error: 'Refused: unknown sender' }
    const url =
      typeof payload === 'object' && payload !== null && 'url' in payload ? payload.url : null
    if (typeof url !== 'string' || !isExternalUrlAllowed(url)) {
      return { ok: false, error: 'Refused: only http(s) and mailto links can be opened' }
    }
    await shell.openExternal(url)
    return { ok: true }
  })
  ipcMain.on(IPC.hidePopover, (event) => {
    if (trusted(event)) popover?.hide()
  })
  ipcMain.on(IPC.openStudio, (event) => {
    if (trusted(event)) showStudio()
  })

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault())
  })

  app.on('window-all-closed', () => {
    // A tray app keeps running with no window open.
  })

  app.on('will-quit', () => {
    globalShortcut.unregisterAll()
    core.stop()
  })

  /** Main's own contract client; made again whenever the core (re)starts. */
  const listenToCore = () => {
    const client = core.client()
    coreClient = client
    client.on('status', (status) => {
      offline = status.sync === 'offline'
      updateTray()
      tray?.setRole(status.session ? canCurate(status.session.role) : false)
    })
    client.on('queue.changed', () => {
      if (popover?.isVisible()) return
      hasNews = true
      updateTray()
    })
    void client.call('status.get', {}).then((status) => {
      tray?.setRole(status.session ? canCurate(status.session.role) : false)
    })
    void client.call('settings.get', {}).then((settings) => {
      tray?.setNudgesPaused(settings.nudgesPaused)
    })
    if (pendingLink) {
      const link = pendingLink
      pendingLink = null
      void joinFromLink(link)
    }
  }

  void app.whenReady().then(() => {
    tray = new AppTray({
      open: showPopover,
      openStudio: showStudio,
      toggleNudges: () => {
        const client = coreClient
        if (!client) return
        void client
          .call('settings.get', {})
          .then((settings) =>
            client.call('settings.update', { nudgesPaused: !settings.nudgesPaused }),
          )
          .then((settings) => tray?.setNudgesPaused(settings.nudgesPaused))
      },
      toggleStartAtLogin: () =>
        app.setLoginItemSettings({ openAtLogin: !app.getLoginItemSettings().openAtLogin }),
      startsAtLogin: () => app.getLoginItemSettings().openAtLogin,
      openSettings: showPopover,
      quit: () => app.quit(),
    })
    core.start(listenToCore)
    popover = createPopover()
    core.connect(popover)
    globalShortcut.register(OPEN_SHORTCUT, showPopover)
  })
}
