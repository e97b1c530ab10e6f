import { join } from 'node:path'
import {
  app,
  type BrowserWindow,
  type IpcMainEvent,
  MessageChannelMain,
  shell,
  type UtilityProcess,
  utilityProcess,
} from 'electron'
import { CoreClient, nodePortTransport } from '../../common/contract/client'
import { ChildMessage } from '../core/process-protocol'
import { CORE_EXEC_ARGV, coreEnv } from '../core/runtime-flags'
import { CorePorts } from './core-ports'
import { IPC } from './ipc'
import { answerOpenExternal, REFUSED_URL } from './open-external'
import { appUrl } from './windows'

/**
 * The core (SQLite, sync, nudges) lives in a utilityProcess so that it keeps running while windows
 * are hidden and never blocks main. Each window gets its own MessagePort to it.
 */
export class CoreProcess {
  private child: UtilityProcess | null = null
  /** Each window's page asks for its port as its preload starts (core-ports.ts: when, to whom). */
  private readonly ports = new CorePorts<BrowserWindow, IpcMainEvent>({
    appUrl: () => appUrl('popover'),
    give: (event) => {
      const child = this.child
      if (!child) return
      const { port1, port2 } = new MessageChannelMain()
      child.postMessage({ type: 'attach' }, [port1])
      event.sender.postMessage(IPC.corePort, null, [port2])
    },
  })
  private stopping = false
  private restarts = 0
  private onStarted: () => void = () => {}

  /**
   * `sqliteBinding`: better-sqlite3 built for Electron's ABI when running from a checkout
   * (see scripts/electron-native.mjs); packaged apps have node_modules rebuilt instead.
   */
  constructor(
    private readonly dataDir: string,
    private readonly sqliteBinding: string | null,
  ) {}

  /** `onStarted` runs after every start, including restarts after a crash. */
  start(onStarted?: () => void): void {
    if (onStarted) this.onStarted = onStarted
    const child = utilityProcess.fork(join(import.meta.dirname, 'core.js'), [], {
      serviceName: 'Porte-voix core',
      stdio: 'inherit',
      execArgv: [...CORE_EXEC_ARGV],
      env: {
        ...coreEnv(process.env),
        ...(this.sqliteBinding ? { PORTE_VOIX_SQLITE_BINDING: this.sqliteBinding } : {}),
      },
    })
    child.postMessage({
      type: 'open',
      dataDir: this.dataDir,
      // The core writes nudges' why in the person's language when settings say 'system'.
      systemLanguages: app.getPreferredSystemLanguages(),
    })
    child.on('message', (data: unknown) => this.onChildMessage(data))
    child.on('exit', (code) => {
      this.child = null
      this.ports.stopped()
      if (this.stopping) return
      // A crashed core is restarted, backing off when it keeps crashing (e.g. a locked file).
      // At the restart, pages that held a port to this core reload (a fresh port, a clean
      // state); pages that asked meanwhile are answered then (core-ports.ts).
      const delay = Math.min(60_000, 1_000 * 2 ** this.restarts++)
      console.error(`[main] core exited with code ${code}; restarting in ${delay} ms`)
      setTimeout(() => this.start(), delay)
    })
    this.child = child
    this.ports.started()
    this.onStarted()
  }

  private onChildMessage(data: unknown): void {
    const parsed = ChildMessage.safeParse(data)
    if (!parsed.success) {
      console.error('[main] ignored a malformed message from the core')
      return
    }
    const message = parsed.data
    switch (message.type) {
      case 'open-external':
        // The core checked the URL already; main does not trust a child process and checks again.
        // The core takes the share back unless the page really opened.
        void answerOpenExternal(message, (url) => shell.openExternal(url)).then((answer) => {
          if (answer.error === REFUSED_URL)
            console.error('[main] refused to open a non-web URL from the core')
          this.child?.postMessage(answer)
        })
        return
      case 'error':
        console.error(`[main] core error: ${message.message}`)
        return
      case 'ready':
        this.restarts = 0
        return
      case 'closed':
        return
    }
  }

  /**
   * Give a window its own port to the core on every page load, when its preload asks (as it
   * starts, before the page's scripts: the page's first requests leave while the rest of it
   * loads; the preload keeps the port until the page asks, main/preload/port-handover.ts). Only
   * the window's own main frame showing the app's page is answered; an ask that comes while the
   * core is restarting is answered once it is back. A reloaded page asks again.
   */
  connect(window: BrowserWindow): void {
    window.webContents.ipc.on(IPC.askCorePort, (event) => this.ports.asked(window, event))
    window.once('closed', () => this.ports.closed(window))
  }

  /** A contract client for main itself (tray state, deep links), on a port of its own. */
  client(): CoreClient {
    if (!this.child) throw new Error('The core is not running')
    const { port1, port2 } = new MessageChannelMain()
    this.child.postMessage({ type: 'attach' }, [port1])
    const client = new CoreClient(nodePortTransport(port2))
    port2.start()
    return client
  }

  /** Ask the core to close (compaction, SQLite checkpoint); kill it if it takes too long. */
  stop(timeoutMs = 5_000): Promise<void> {
    this.stopping = true
    const child = this.child
    if (!child) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill(), timeoutMs)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      child.postMessage({ type: 'close' })
    })
  }
}
