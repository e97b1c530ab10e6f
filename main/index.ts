import { join } from 'node:path'
import { app, BrowserWindow, globalShortcut, ipcMain, screen, session } from 'electron'
import type { CoreClient } from '../common/contract/client'
import { canCurate } from '../common/model/member'
import { CoreProcess } from './shell/core-process'
import { findDeepLink, PROTOCOL } from './shell/deep-link'
import { IPC } from './shell/ipc'
import { NudgeNotifications } from './shell/nudge-notifications'
import { popoverPosition } from './shell/popover-position'
import { isTrustedSender, POPOVER_SIZE } from './shell/security'
import { AppTray } from './shell/tray'
import {
  appUrl,
  createPopover,
  createStudio,
  hardenSession,
  registerAppScheme,
} from './shell/windows'

/**
 * The Electron shell: tray, windows, OS integration and IPC wiring only. All product logic lives
 * in the core process (main/core), reached through the contract.
 */

const OPEN_SHORTCUT = 'CommandOrControl+Alt+P'

// Before app ready (Electron's rule): the scheme the windows load from (code cache, app-scheme.ts).
registerAppScheme()

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
  let nudges: NudgeNotifications | null = null
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

  /** The popover shown, then told `value` on `channel` (once its page has loaded, if new). */
  const showInPopover = (channel: typeof IPC.invitation | typeof IPC.openItem, value: string) => {
    showPopover()
    const contents = popover?.webContents
    if (!contents) return
    const send = () => contents.send(channel, value)
    if (contents.isLoading()) contents.once('did-finish-load', send)
    else send()
  }

  const showStudio = () => {
    if (studio && !studio.isDestroyed()) {
      studio.focus()
      return
    }
    studio = createStudio()
    core.connect(studio)
  }

  /**
   * An invitation link from the OS is never joined silently (any web page can open one): the
   * popover shows it, with the relay and the membership it grants, for the person to confirm.
   */
  const offerInvitation = (link: string) => {
    if (!app.isReady()) {
      pendingLink = link
      return
    }
    showInPopover(IPC.invitation, link)
  }

  app.on('second-instance', (_event, argv) => {
    const link = findDeepLink(argv)
    if (link) offerInvitation(link)
    else showPopover()
  })
  app.on('open-url', (event, url) => {
    event.preventDefault()
    offerInvitation(url)
  })

  // Every IPC message is checked against the window it claims to come from.
  const trusted = (event: Electron.IpcMainEvent | Electron.IpcMainInvokeEvent) => {
    const window = BrowserWindow.fromWebContents(event.sender)
    const view = window === studio ? 'studio' : 'popover'
    return isTrustedSender(event.senderFrame?.url, appUrl(view))
  }

  ipcMain.on(IPC.hidePopover, (event) => {
    if (trusted(event)) popover?.hide()
  })
  ipcMain.on(IPC.openStudio, (event) => {
    if (trusted(event)) showStudio()
  })

  app.on('window-all-closed', () => {
    // A tray app keeps running with no window open.
  })

  // The core gets to finish: stop the outbox, compact its logs, close SQLite cleanly.
  let quitting = false
  app.on('will-quit', (event) => {
    if (quitting) return
    quitting = true
    event.preventDefault()
    globalShortcut.unregisterAll()
    void core.stop().finally(() => app.exit(0))
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
    nudges?.listen(client)
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
  }

  void app.whenReady().then(() => {
    hardenSession(session.defaultSession)
    // Before the core starts, so its first client gets the nudge listener.
    nudges = new NudgeNotifications({
      client: () => coreClient,
      openItem: (itemId) => showInPopover(IPC.openItem, itemId),
    })
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
    if (pendingLink) {
      offerInvitation(pendingLink)
      pendingLink = null
    }
  })
}
