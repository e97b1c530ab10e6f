import { describe, expect, it } from 'vitest'
import { CorePorts, type FrameRef, isOwnMainFrame } from '../../main/shell/core-ports'

/**
 * Main's side of the port hand-over (main/shell/core-ports.ts, wired to Electron by
 * core-process.ts; Electron is not run here): which frame gets a port to the core, and a page's
 * ask during the core's crash-restart backoff. Windows and frames are plain objects with the
 * fields main reads of Electron's BrowserWindow and WebFrameMain.
 */

const APP = 'porte-voix-app://renderer/index.html#popover'

type TestWindow = {
  name: string
  destroyed: boolean
  reloads: number
  isDestroyed(): boolean
  webContents: { mainFrame: FrameRef; reload(): void }
}
type TestAsk = { senderFrame: FrameRef | null; page: string }

let nextProcess = 10
function testWindow(name: string, url = `porte-voix-app://renderer/index.html#${name}`) {
  const window: TestWindow = {
    name,
    destroyed: false,
    reloads: 0,
    isDestroyed: () => window.destroyed,
    webContents: {
      mainFrame: { processId: nextProcess++, routingId: 1, url },
      reload: () => {
        window.reloads++
      },
    },
  }
  return window
}

/** The window's page asking as its preload starts. */
function ownAsk(window: TestWindow, page = window.name): TestAsk {
  return { senderFrame: window.webContents.mainFrame, page }
}

function desk() {
  const given: string[] = []
  const ports = new CorePorts<TestWindow, TestAsk>({
    appUrl: () => APP,
    give: (ask) => given.push(ask.page),
  })
  return { ports, given }
}

describe('main answers a port ask from the window’s own main frame on the app’s page only', () => {
  it('the popover’s and the studio’s own pages get a port', () => {
    const { ports, given } = desk()
    ports.started()
    const popover = testWindow('popover')
    const studio = testWindow('studio')
    ports.asked(popover, ownAsk(popover))
    ports.asked(studio, ownAsk(studio))
    expect(given).toEqual(['popover', 'studio'])
  })

  it('a subframe, another window’s frame, a foreign URL and no frame get nothing', () => {
    const { ports, given } = desk()
    ports.started()
    const popover = testWindow('popover')
    const studio = testWindow('studio')
    const main = popover.webContents.mainFrame
    // A subframe of the popover: same renderer process, another frame, even on the app's page.
    ports.asked(popover, { senderFrame: { ...main, routingId: 2 }, page: 'subframe' })
    // The studio's main frame, arriving on the popover's channel.
    ports.asked(popover, { senderFrame: studio.webContents.mainFrame, page: 'other window' })
    // The popover's main frame showing something else than the app's page.
    for (const url of [
      'https://example.com/index.html#popover',
      'file:///tmp/evil.html',
      'porte-voix-app://renderer/other.html',
      'porte-voix-app://elsewhere/index.html',
    ]) {
      ports.asked(popover, { senderFrame: { ...main, url }, page: url })
    }
    ports.asked(popover, { senderFrame: null, page: 'no frame' })
    expect(given).toEqual([])
    ports.asked(popover, ownAsk(popover))
    expect(given).toEqual(['popover'])
  })

  it('isOwnMainFrame: a frame Electron has disposed (its getters throw) is refused', () => {
    const main: FrameRef = { processId: 1, routingId: 1, url: APP }
    const disposed = {
      processId: 1,
      routingId: 1,
      get url(): string {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed')
      },
    }
    expect(isOwnMainFrame(main, main, APP)).toBe(true)
    expect(isOwnMainFrame(disposed, main, APP)).toBe(false)
  })

  it('the dev server’s page is trusted when it is the app’s page', () => {
    const dev = 'http://localhost:5173/index.html#popover'
    const main: FrameRef = { processId: 1, routingId: 1, url: dev }
    expect(isOwnMainFrame(main, main, dev)).toBe(true)
    expect(isOwnMainFrame({ ...main, url: 'http://localhost:5174/index.html' }, main, dev)).toBe(
      false,
    )
  })
})

describe('a page that asks while the core is restarting (crash backoff)', () => {
  it('is answered once, when the core is back, and not reloaded', () => {
    const { ports, given } = desk()
    ports.started()
    ports.stopped()
    // The studio opened during the backoff: its preload asks now.
    const studio = testWindow('studio')
    ports.asked(studio, ownAsk(studio))
    expect(given).toEqual([])
    ports.started()
    expect(given).toEqual(['studio'])
    expect(studio.reloads).toBe(0)
    // A later start (another crash) does not answer the old ask again.
    ports.stopped()
    ports.started()
    expect(given).toEqual(['studio'])
  })

  it('pages holding a port to the core that exited are reloaded, and their new ask answered', () => {
    const { ports, given } = desk()
    ports.started()
    const popover = testWindow('popover')
    ports.asked(popover, ownAsk(popover))
    expect(given).toEqual(['popover'])
    ports.stopped()
    ports.started()
    expect(popover.reloads).toBe(1)
    ports.asked(popover, ownAsk(popover, 'popover reloaded'))
    expect(given).toEqual(['popover', 'popover reloaded'])
  })

  it('a page that reloaded during the backoff gets one port (its latest ask), no reload', () => {
    const { ports, given } = desk()
    ports.started()
    const popover = testWindow('popover')
    ports.asked(popover, ownAsk(popover, 'first page'))
    ports.stopped()
    ports.asked(popover, ownAsk(popover, 'reloaded page'))
    ports.asked(popover, ownAsk(popover, 'reloaded again'))
    ports.started()
    expect(given).toEqual(['first page', 'reloaded again'])
    expect(popover.reloads).toBe(0)
  })

  it('a window closed while it waited is forgotten: no port, no reload', () => {
    const { ports, given } = desk()
    ports.started()
    const popover = testWindow('popover')
    ports.asked(popover, ownAsk(popover))
    ports.stopped()
    const studio = testWindow('studio')
    ports.asked(studio, ownAsk(studio))
    studio.destroyed = true
    ports.closed(studio)
    popover.destroyed = true
    ports.closed(popover)
    ports.started()
    expect(given).toEqual(['popover'])
    expect(studio.reloads + popover.reloads).toBe(0)
  })

  it('a held ask whose frame no longer shows the app’s page is not answered', () => {
    const { ports, given } = desk()
    const studio = testWindow('studio')
    // Before the first start too (a window created before the core's fork).
    const frame = { ...studio.webContents.mainFrame }
    ports.asked(studio, { senderFrame: frame, page: 'studio' })
    frame.url = 'https://example.com/'
    ports.started()
    expect(given).toEqual([])
  })
})
