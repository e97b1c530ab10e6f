import { rmSync } from 'node:fs'
import * as encoding from 'lib0/encoding'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import * as syncProtocol from 'y-protocols/sync'
import type { CoreClient } from '../../common/contract/client'
import { toBase64 } from '../../common/contract/messages'
import { launchChromium, newContext, type TestBrowser } from '../helpers/browser'
import { type CoreProcess, startCore } from '../helpers/core'
import { type LandingSite, startLandingSite, startLinkRelay } from '../helpers/landing'
import type { RelayProcess } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'
import { openReplica } from '../helpers/replica'
import { joinedPair, stopAndRemove } from '../helpers/team'

/** What the e2e suites do the same way in the windows and next to them. */

export const WAIT = { timeout: 20_000 }

/** In the studio: Items, then the item titled `title` open in the editor. */
export async function openStudioItem(page: Page, title: string): Promise<void> {
  await page.getByTestId('nav-items').click()
  await page.getByTestId('studio-item').filter({ hasText: title }).first().click(WAIT)
  await page.getByTestId('item-editor').waitFor(WAIT)
}

/**
 * The popover of the core on `port` (an employee's), on My stats; `reopen` shows the view again,
 * and each opening asks the relay: poll with it until a click just counted is in.
 */
export async function openMyStats(chromium: TestBrowser, port: number, wait = WAIT) {
  const origin = `http://127.0.0.1:${port}`
  const context = await newContext(chromium.browser, { origin })
  const popover = await context.newPage()
  await popover.goto(`${origin}/`)
  await popover.getByTestId('nav-stats').click()
  await popover.getByTestId('my-results').waitFor(wait)
  const reopen = async () => {
    await popover.getByTestId('nav-queue').click()
    await popover.getByTestId('nav-stats').click()
  }
  return { context, popover, reopen }
}

/** Paste `text` at the end of a CodeMirror editor the way a browser does (a paste event). */
export async function paste(page: Page, testId: string, text: string): Promise<void> {
  await page.getByTestId(testId).click()
  await page.keyboard.press('Control+End')
  await page.getByTestId(testId).evaluate((element, data) => {
    const transfer = new DataTransfer()
    transfer.setData('text/plain', data)
    element.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
    )
  }, text)
}

/**
 * A window writing straight into the core's queue document, as a faulty champion's window
 * could: its replica's local changes go to the core as sync updates, unchecked by any UI.
 */
export function rawWriter(client: CoreClient) {
  const replica = openReplica(client, 'queue')
  replica.doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === 'core') return
    const encoder = encoding.createEncoder()
    syncProtocol.writeUpdate(encoder, update)
    client.send({ t: 'doc', doc: 'queue', data: toBase64(encoding.toUint8Array(encoder)) })
  })
  return replica
}

/**
 * The close-the-loop stack (loop.test.ts, results.test.ts), started before the suite's tests: a
 * landing site on 127.0.0.1 named `siteName`, a relay with --public-url, a champion's core and an
 * employee's core serving the built windows (the champion's only with `championWindows`), and
 * Chromium. After the suite all is stopped and every folder removed, the relay's too when a test
 * stopped it itself (stopping again waits for the exit it had).
 */
export function loopStack(siteName: string, o: { championWindows: boolean }) {
  const stack = {
    site: null as LandingSite | null,
    relay: null as RelayProcess | null,
    champion: null as CoreProcess | null,
    employee: null as CoreProcess | null,
    chromium: null as TestBrowser | null,
  }
  beforeAll(async () => {
    stack.site = await startLandingSite(siteName)
    stack.relay = await startLinkRelay()
    const windows = { args: ['--static', rendererDir()] }
    ;[stack.champion, stack.employee, stack.chromium] = await Promise.all([
      startCore(o.championWindows ? windows : {}),
      startCore(windows),
      launchChromium(),
    ])
  })
  afterAll(async () => {
    const { site, relay, champion, employee, chromium } = stack
    await chromium?.close()
    await Promise.all([champion?.stop(), employee?.stop()])
    await relay?.stop()
    for (const dir of [champion?.dataDir, employee?.dataDir, relay?.dataDir]) {
      if (dir) rmSync(dir, { recursive: true, force: true })
    }
    await site?.close()
  })
  /** The stack once started (in a test). */
  return () => {
    const { site, relay, champion, employee, chromium } = stack
    if (!site || !relay || !champion || !employee || !chromium) throw new Error('stack not started')
    return { siteUrl: site.url, relay, champion, employee, chromium }
  }
}

/**
 * A relay with one workspace, two cores serving the built windows — Alice Martin's (champion) and
 * Eve Leroy's (employee) — joined to it, and Chromium. The caller stops them.
 */
export async function aliceAndEve(workspaceName: string): Promise<{
  relay: RelayProcess
  alice: CoreProcess
  eve: CoreProcess
  browser: TestBrowser
}> {
  const [pair, browser] = await Promise.allSettled([
    joinedPair({
      workspace: workspaceName,
      champion: 'Alice Martin',
      employee: 'Eve Leroy',
      core: { args: ['--static', rendererDir()] },
    }),
    launchChromium(),
  ])
  if (pair.status === 'fulfilled' && browser.status === 'fulfilled') {
    return {
      relay: pair.value.relay,
      alice: pair.value.champion,
      eve: pair.value.employee,
      browser: browser.value,
    }
  }
  // One of them failed: the caller gets nothing to stop, so stop what did start here.
  if (browser.status === 'fulfilled') await browser.value.close()
  if (pair.status === 'fulfilled') {
    await stopAndRemove(pair.value.relay, [pair.value.champion, pair.value.employee])
  }
  throw pair.status === 'rejected' ? pair.reason : (browser as PromiseRejectedResult).reason
}
