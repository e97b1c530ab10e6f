/**
 * Issue 8.3 in Chromium: a champion's change the relay refuses (over its frame limit, here a
 * 4 KB relay and a 6,000-character paste, within the caption limit and the core's own change
 * limit) is said in the studio with a Discard button; Discard brings back the last accepted text
 * and the champion's core is online again, with one new connection and no reconnect loop.
 */
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { itemsMap, readItem } from '../../common/doc/queue-doc'
import { launchChromium, newContext, type TestBrowser } from '../helpers/browser'
import { type CoreProcess, startCore } from '../helpers/core'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { queueConnections } from '../helpers/relay-log'
import { rendererDir } from '../helpers/renderer'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from '../relay/support'
import { paste } from './support'

const WAIT = { timeout: 20_000 }
const ACCEPTED = 'Our launch is live.'

const ALICE = 'mem_alice'

/** The text of a CodeMirror editor as the page shows it. */
async function editorText(page: Page, testId: string): Promise<string> {
  return page
    .getByTestId(testId)
    .evaluate((content) =>
      [...content.querySelectorAll(':scope > .cm-line')].map((l) => l.textContent ?? '').join('\n'),
    )
}

describe('studio: Discard a change the relay refused, in Chromium', () => {
  let relay: RelayProcess
  let browser: TestBrowser
  let alice: CoreProcess
  let context: BrowserContext
  let page: Page
  let workspaceId: string
  let championToken: string
  let itemId: string

  /** What the relay holds of the item's LinkedIn caption, read by a fresh champion client. */
  async function relayCaption(): Promise<string | null> {
    const reader = await RawClient.connect(
      roomUrl(relay.url, workspaceId, 'queue', championToken),
      { sendLocalUpdates: false },
    )
    try {
      await reader.sync()
      const entry = itemsMap(reader.doc).get(itemId)
      const read = entry instanceof Y.Map ? readItem(entry) : null
      return read && 'item' in read ? (read.item.captions.linkedin ?? null) : null
    } finally {
      await reader.close()
    }
  }

  beforeAll(async () => {
    relay = await startRelay({ args: ['--max-message-bytes', '4096'] })
    workspaceId = await relay.createWorkspace('Acme Refusals')
    ;[alice, browser] = await Promise.all([
      startCore({ args: ['--static', rendererDir()] }),
      launchChromium(),
    ])
    await alice.client.call('workspace.join', {
      invitation: await relay.invite({
        workspaceId,
        name: 'Alice Martin',
        role: 'champion',
        memberId: ALICE,
      }),
    })
    championToken = (await relay.issueToken({ workspaceId, name: 'Reader', role: 'champion' }))
      .token
    const item = await alice.client.call('item.create', {
      title: 'Launch day',
      url: 'https://example.com/launch',
      objective: 'awareness',
      status: 'published',
      captions: { linkedin: ACCEPTED },
    })
    itemId = item.id
    await waitFor('the item at the relay', async () => (await relayCaption()) === ACCEPTED)
    context = await newContext(browser.browser, { origin: `http://127.0.0.1:${alice.port}` })
    page = await context.newPage()
    await page.setViewportSize({ width: 1360, height: 860 })
    await page.goto(`http://127.0.0.1:${alice.port}/index.html#studio`)
    await page.getByTestId('studio').waitFor(WAIT)
  }, 90_000)

  afterAll(async () => {
    await context?.close().catch(() => {})
    await browser?.close()
    await alice?.stop()
    if (relay) await stopRelay(relay)
  })

  it('shows the refusal with Discard; Discard restores the accepted caption and the core syncs again', async () => {
    await page.getByTestId('nav-items').click()
    await page.getByTestId('studio-item').filter({ hasText: 'Launch day' }).first().click(WAIT)
    await page.getByTestId('item-editor').waitFor(WAIT)
    await expect.poll(() => editorText(page, 'caption-linkedin'), WAIT).toBe(ACCEPTED)

    // 6,000 characters: within the caption limit (10,000) and the core's change limit (512 KiB),
    // over this relay's 4 KB frame limit.
    await paste(page, 'caption-linkedin', ' x'.repeat(3_000))
    const banner = page.getByTestId('change-refused')
    await banner.waitFor(WAIT)
    expect(await banner.textContent()).toContain('The relay refused a change as too large')
    const status = await alice.client.call('status.get', {})
    expect(status.problem?.code).toBe('changeTooLarge')
    expect(status.sync).toBe('offline')
    // Nobody else got it.
    expect(await relayCaption()).toBe(ACCEPTED)
    const afterRefusal = queueConnections(relay.logs(), workspaceId, ALICE)
    // The link is stopped, not retried: more status reads, more waiting for the page, no connect.
    for (let i = 0; i < 5; i++) await alice.client.call('status.get', {})
    await page.getByTestId('change-refused-discard').waitFor(WAIT)
    expect(queueConnections(relay.logs(), workspaceId, ALICE)).toBe(afterRefusal)

    await page.getByTestId('change-refused-discard').click()
    await expect.poll(() => editorText(page, 'caption-linkedin'), WAIT).toBe(ACCEPTED)
    await banner.waitFor({ state: 'detached', ...WAIT })
    await waitFor(
      'the core synced again',
      async () => (await alice.client.call('status.get', {})).sync === 'synced',
    )
    expect((await alice.client.call('status.get', {})).problem).toBeNull()

    // Online for real: a small edit typed in the studio reaches the relay.
    await page.getByTestId('caption-linkedin').click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type(' Join us!')
    await waitFor(
      'the small edit at the relay',
      async () => (await relayCaption()) === `${ACCEPTED} Join us!`,
    )
    // One new connection for the resync, none since: not a reconnect loop.
    expect(queueConnections(relay.logs(), workspaceId, ALICE)).toBe(afterRefusal + 1)
    expect((await alice.client.call('status.get', {})).sync).toBe('synced')
  })
})
