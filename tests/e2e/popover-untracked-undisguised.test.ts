/**
 * Issue 8.8 and 8.11 where the harm happens, in an employee's popover in Chromium: an item's
 * image URL is never requested by the page (the core fetches images; the window loads nothing
 * but its own origin and data: URLs), and a faulty champion window that writes bidirectional
 * overrides (U+202E) straight into the document cannot disguise the title or caption employees see.
 */
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { captionText, itemsMap } from '../../common/doc/queue-doc'
import { newContext, type TestBrowser } from '../helpers/browser'
import type { CoreProcess } from '../helpers/core'
import { type RelayProcess, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { aliceAndEve, rawWriter } from './support'

const WAIT = { timeout: 20_000 }
const RLO = '\u202E'
const BIDI = /[\u202A-\u202E\u2066-\u2069]/
const IMAGE = 'https://images.example.test/launch.png'

describe('employee popover: no third-party request, no disguised text (Chromium)', () => {
  let relay: RelayProcess
  let browser: TestBrowser
  let alice: CoreProcess
  let eve: CoreProcess
  let context: BrowserContext

  beforeAll(async () => {
    ;({ relay, alice, eve, browser } = await aliceAndEve('Acme Untracked'))
    context = await newContext(browser.browser, { origin: `http://127.0.0.1:${eve.port}` })
  }, 90_000)

  afterAll(async () => {
    await context?.close().catch(() => {})
    await browser?.close()
    await Promise.all([alice?.stop(), eve?.stop()])
    if (relay) await stopRelay(relay)
  })

  it('requests nothing but its own origin, and shows titles and captions without overrides', async () => {
    const item = await alice.client.call('item.create', {
      title: 'Invoice',
      url: 'https://example.com/invoice',
      objective: 'awareness',
      status: 'published',
      imageUrl: IMAGE,
      captions: { linkedin: 'Read me' },
    })
    // A faulty champion window: the title and caption rewritten with a right-to-left override,
    // written into the document itself (not through item.update, whose schema drops it).
    const writer = rawWriter(await alice.connect())
    try {
      await waitFor('the raw replica has the item', () => itemsMap(writer.doc).has(item.id))
      const entry = itemsMap(writer.doc).get(item.id) as unknown as Y.Map<unknown>
      writer.doc.transact(() => {
        entry.set('title', `Invoice ${RLO}gpj.exe`)
        captionText(writer.doc, item.id, 'linkedin').insert(0, `${RLO}txt.`)
      })
      await waitFor('the rewrite at the employee', async () => {
        const queue = await eve.client.call('queue.forMe', {})
        return queue.some((e) => e.item.id === item.id && e.item.title.includes('gpj.exe'))
      })
    } finally {
      writer.close()
    }

    const origin = `http://127.0.0.1:${eve.port}`
    const requested: string[] = []
    const page = await context.newPage()
    page.on('request', (request) => requested.push(request.url()))
    await page.goto(`${origin}/index.html`)
    const row = page.getByTestId('queue-item').filter({ hasText: 'gpj.exe' }).first()
    await row.waitFor(WAIT)
    const rowTitle = (await row.locator('.item-title').textContent()) ?? ''
    expect(rowTitle).toBe('Invoice gpj.exe')
    await row.getByRole('button').click()
    await page.getByTestId('item-view').waitFor(WAIT)
    expect(await page.getByTestId('item-title').textContent()).toBe('Invoice gpj.exe')
    // The network whose caption was rewritten, if the view does not show it first.
    const caption = page.getByTestId('caption')
    await caption.waitFor(WAIT)
    const tab = page.getByTestId('network-tab-linkedin')
    if (await tab.count()) await tab.click()
    await expect.poll(async () => (await caption.inputValue()).includes('txt.'), WAIT).toBe(true)
    expect(await caption.inputValue()).not.toMatch(BIDI)
    const text = (await page.locator('body').textContent()) ?? ''
    expect(text).not.toMatch(BIDI)
    // The item view asks the core for its image (which cannot reach that host): the page itself
    // never requested it, nor anything off its own origin.
    const foreign = requested.filter(
      (url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'),
    )
    expect(foreign).toEqual([])
  })
})
