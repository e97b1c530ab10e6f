/**
 * The studio's lifecycle, limits and settings, end to end in Chromium: a real relay, a champion's
 * core (Alice) serving the built renderer, an employee's core (Eve) to see what employees get.
 * Every behaviour is checked in English and in French (the language is switched from another
 * window, through the core, while the studio stays open).
 */
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoreClient } from '../../common/contract/client'
import { captionText } from '../../common/doc/queue-doc'
import { NARROW_NBSP, NBSP } from '../../common/format/typography'
import { ITEM_LIMITS } from '../../common/model/item'
import { newContext, type TestBrowser } from '../helpers/browser'
import { type CoreProcess, startCore } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'
import { waitFor } from '../helpers/wait'
import { aliceAndEve, openStudioItem, paste, rawWriter } from './support'

const WAIT = { timeout: 20_000 }
const LANGUAGES = ['en', 'fr'] as const
type Language = (typeof LANGUAGES)[number]

/** What the studio says, per language (the dictionaries' words, as typeset on the page). */
const SAYS = {
  en: {
    curators: 'Champions only',
    everyone: 'Everyone in the workspace',
    scheduled: 'Scheduled: from',
    expired: 'Expired on',
    approvedHint: 'Approved is not published',
    nav: 'Items',
    refused: 'the limit is 10,000',
    problem: 'over the limit of 10,000 characters',
    variantsFull: 'At most 20 variants per network.',
    endsToday: 'ends today',
  },
  fr: {
    curators: 'Champions seulement',
    everyone: 'Tout l’espace de travail',
    scheduled: `Programmé${NBSP}: à partir du`,
    expired: 'Expiré le',
    approvedHint: `Approuvé n’est pas publié${NBSP}:`,
    nav: 'Contenus',
    refused: `la limite est de 10${NARROW_NBSP}000`,
    problem: `au-delà de la limite de 10${NARROW_NBSP}000 caractères`,
    variantsFull: 'Au plus 20 variantes par réseau.',
    endsToday: 'se termine aujourd’hui',
  },
} satisfies Record<Language, Record<string, string>>

async function studioPage(context: BrowserContext, core: CoreProcess): Promise<Page> {
  const page = await context.newPage()
  await page.setViewportSize({ width: 1360, height: 860 })
  await page.goto(`http://127.0.0.1:${core.port}/index.html#studio`)
  await page.getByTestId('studio').waitFor(WAIT)
  return page
}

describe('studio lifecycle, limits and settings in Chromium', () => {
  let relay: RelayProcess
  let browser: TestBrowser
  let alice: CoreProcess
  let eve: CoreProcess
  let page: Page
  let settingsWindow: CoreClient
  const contexts: BrowserContext[] = []

  async function switchLanguage(language: Language): Promise<void> {
    // Another window (the popover's Settings) changes the language: the studio follows, live.
    await settingsWindow.call('settings.update', { language })
    await expect
      .poll(() => page.getByTestId('nav-items').textContent(), WAIT)
      .toContain(SAYS[language].nav)
    expect(await page.evaluate(() => document.documentElement.lang)).toBe(language)
  }

  beforeAll(async () => {
    ;({ relay, alice, eve, browser } = await aliceAndEve('Acme Comfort'))
    settingsWindow = await alice.connect()
    await settingsWindow.call('settings.update', { timeZone: 'UTC' })
    const context = await newContext(browser.browser, {
      origin: `http://127.0.0.1:${alice.port}`,
    })
    contexts.push(context)
    page = await studioPage(context, alice)
  }, 90_000)

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {})
    await browser?.close()
    await Promise.all([alice?.stop(), eve?.stop()])
    await relay?.stop()
  })

  it('follows the Theme and Language settings live, without a reload', async () => {
    const reloads: string[] = []
    page.on('framenavigated', (frame) => reloads.push(frame.url()))
    await settingsWindow.call('settings.update', { theme: 'dark' })
    await expect
      .poll(() => page.evaluate(() => document.documentElement.dataset.theme ?? ''), WAIT)
      .toBe('dark')
    // The page's colours follow (the body's background is the dark one).
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(background).toBe('rgb(22, 24, 29)')
    await settingsWindow.call('settings.update', { theme: 'light' })
    await expect
      .poll(() => page.evaluate(() => document.documentElement.dataset.theme ?? ''), WAIT)
      .toBe('light')
    await switchLanguage('fr')
    await switchLanguage('en')
    expect(reloads).toEqual([])
  })

  it('the popover’s sticky Share button never covers the hints saying why it is disabled', async () => {
    const item = await alice.client.call('item.create', {
      title: 'Sticky share check',
      url: 'https://example.com/sticky',
      objective: 'awareness',
      status: 'published',
      priority: 100,
      why: 'Why this matters to the team. '.repeat(8),
    })
    await alice.client.call('item.setCaption', {
      id: item.id,
      network: 'linkedin',
      text: 'Our news. {{why it matters to you}}',
    })
    const origin = `http://127.0.0.1:${eve.port}`
    const context = await newContext(browser.browser, { origin })
    contexts.push(context)
    const popover = await context.newPage()
    // A short window: the Share button's place is below the fold, so it sticks to the bottom.
    await popover.setViewportSize({ width: 380, height: 360 })
    await popover.goto(`${origin}/index.html`)
    const row = popover.getByTestId('queue-item').filter({ hasText: item.title })
    await row.waitFor(WAIT)
    await row.getByRole('button').click()
    await popover.getByTestId('share-blocked-hint').waitFor(WAIT)
    expect(await popover.getByTestId('share-button').isDisabled()).toBe(true)
    await popover
      .getByTestId('caption')
      .evaluate((element) => element.scrollIntoView({ block: 'center' }))
    // The placeholder hint, the button and the line under it are all on screen and on top.
    for (const testId of ['placeholder-warning', 'share-button', 'share-blocked-hint']) {
      const visible = await popover.getByTestId(testId).evaluate((element) => {
        const box = element.getBoundingClientRect()
        if (box.top < 0 || box.bottom > window.innerHeight) return `off screen (${box.bottom})`
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2)
        return hit === element || element.contains(hit)
          ? 'ok'
          : `covered by ${hit?.outerHTML.slice(0, 60)}`
      })
      expect(`${testId}: ${visible}`).toBe(`${testId}: ok`)
    }
  })

  for (const language of LANGUAGES) {
    it(`[${language}] says who sees an item, and Approved is not Published until one click`, async () => {
      await switchLanguage(language)
      const says = SAYS[language]
      const item = await alice.client.call('item.create', {
        title: `Approved but hidden ${language}`,
        url: `https://example.com/lifecycle-${language}`,
        objective: 'awareness',
        status: 'approved',
        captions: { linkedin: 'Look at this' },
      })
      await openStudioItem(page, item.title)
      await expect
        .poll(() => page.getByTestId('editor-audience').textContent(), WAIT)
        .toBe(says.curators)
      expect(await page.getByTestId('lifecycle-hint').textContent()).toContain(says.approvedHint)
      // The list row says it too.
      const row = page.getByTestId('studio-item').filter({ hasText: item.title })
      expect(await row.getByTestId('row-audience').textContent()).toBe(says.curators)
      expect((await eve.client.call('queue.forMe', {})).map((e) => e.item.id)).not.toContain(
        item.id,
      )

      await page.getByTestId('publish').click()
      await expect
        .poll(() => page.getByTestId('editor-audience').textContent(), WAIT)
        .toBe(says.everyone)
      await waitFor('the employee gets the published item', async () =>
        (await eve.client.call('queue.forMe', {})).some((entry) => entry.item.id === item.id),
      )

      // Scheduled for tomorrow, then expired yesterday: each said with its date.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString()
      await alice.client.call('item.update', { id: item.id, patch: { publishAt: tomorrow } })
      await expect
        .poll(() => page.getByTestId('editor-audience').textContent(), WAIT)
        .toContain(says.scheduled)
      const yesterday = new Date(Date.now() - 86_400_000).toISOString()
      await alice.client.call('item.update', {
        id: item.id,
        patch: { publishAt: null, expiresAt: yesterday },
      })
      await expect
        .poll(() => page.getByTestId('editor-audience').textContent(), WAIT)
        .toContain(says.expired)
      // French times on a 24-hour clock.
      const expired = (await page.getByTestId('editor-audience').textContent()) ?? ''
      if (language === 'fr') expect(expired).not.toMatch(/AM|PM/)
    })

    it(`[${language}] refuses typing and a 1.2 MB paste past the caption limit, with the reason`, async () => {
      await switchLanguage(language)
      const says = SAYS[language]
      const item = await alice.client.call('item.create', {
        title: `Near the limit ${language}`,
        url: `https://example.com/limit-${language}`,
        objective: 'awareness',
        status: 'published',
      })
      const nearly = 'a'.repeat(ITEM_LIMITS.caption - 3)
      await alice.client.call('item.setCaption', { id: item.id, network: 'linkedin', text: nearly })
      await openStudioItem(page, item.title)
      const editor = page.getByTestId('caption-linkedin')
      await editor.waitFor(WAIT)
      await editor.click()
      await page.keyboard.press('Control+End')
      await page.keyboard.type('bcdef')
      const refused = page.getByTestId('caption-linkedin-refused')
      await refused.waitFor(WAIT)
      expect(await refused.textContent()).toContain(says.refused)
      // Three characters fitted; the fourth and fifth were refused before they were made.
      await waitFor('the core holds the caption at the limit', async () => {
        const got = await alice.client.call('item.get', { id: item.id })
        return got.captions.linkedin === `${nearly}bcd`
      })

      // A 1.2 MB paste is refused whole, before anything reaches the document.
      await paste(page, 'caption-linkedin', 'z'.repeat(1_200_000))
      await refused.waitFor(WAIT)
      expect(await refused.textContent()).toContain(says.refused)
      const after = await alice.client.call('item.get', { id: item.id })
      expect(after.captions.linkedin).toBe(`${nearly}bcd`)
      // The counter writes thousands the language's way.
      const sep = language === 'fr' ? NARROW_NBSP : ','
      expect(await page.getByTestId('counter-linkedin').textContent()).toContain(
        `10${sep}000 / 3${sep}000`,
      )
      expect(await page.getByTestId('sync-status').getAttribute('class')).not.toContain('offline')
    })

    it(`[${language}] stops adding variants at twenty, and counts days left like the popover`, async () => {
      await switchLanguage(language)
      const says = SAYS[language]
      const item = await alice.client.call('item.create', {
        title: `Many variants ${language}`,
        url: `https://example.com/variants-${language}`,
        objective: 'awareness',
        status: 'published',
      })
      await openStudioItem(page, item.title)
      const add = page.getByTestId('add-variant')
      for (let i = 0; i < ITEM_LIMITS.variants; i++) {
        await add.click()
        await page.getByTestId(`variant-linkedin-${i}`).waitFor(WAIT)
      }
      await page.getByTestId('variants-full').waitFor(WAIT)
      expect(await page.getByTestId('variants-full').textContent()).toBe(says.variantsFull)
      expect(await add.count()).toBe(0)

      // A deadline later today (UTC, the time zone set for this test): "ends today" in both
      // windows, where the studio used to round up to "1 days left".
      const now = new Date()
      const endOfDay = new Date(
        Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 23, 59, 0),
      )
      await alice.client.call('campaign.create', {
        name: `Today ${language}`,
        objective: 'campaign',
        goalMetric: 'sign-ups',
        goalTarget: 12_345,
        deadline: endOfDay.toISOString(),
      })
      await page.getByTestId('nav-campaigns').click()
      const card = page.getByTestId('campaign-card').filter({ hasText: `Today ${language}` })
      await card.waitFor(WAIT)
      expect(await card.getByTestId('campaign-days-left').textContent()).toBe(says.endsToday)
      // Thousands written the language's way.
      expect(await card.textContent()).toContain(
        language === 'fr' ? `12${NARROW_NBSP}345` : '12,345',
      )
    })

    it(`[${language}] keeps an item whose caption a faulty client pushed past the limit, and flags it`, async () => {
      // Carol's core is offline (her relay is gone), so no relay repairs what her faulty window
      // wrote: her core and studio read the document as it is.
      const says = SAYS[language]
      const carolRelay = await startRelay()
      const carol = await startCore({ args: ['--static', rendererDir()] })
      try {
        const workspaceId = await carolRelay.createWorkspace('Acme Offline')
        await carol.client.call('workspace.join', {
          invitation: await carolRelay.invite({
            workspaceId,
            name: 'Carol Petit',
            role: 'champion',
          }),
        })
        await carol.client.call('settings.update', { language })
        const item = await carol.client.call('item.create', {
          title: `Broken caption ${language}`,
          url: `https://example.com/broken-${language}`,
          objective: 'awareness',
          status: 'published',
          captions: { x: 'Fine on X' },
        })
        await carolRelay.stop()
        const writer = rawWriter(await carol.connect())
        try {
          await waitFor('the raw replica has the item', () =>
            writer.doc.getMap('items').has(item.id),
          )
          captionText(writer.doc, item.id, 'linkedin').insert(
            0,
            'L'.repeat(ITEM_LIMITS.caption + 1),
          )
          // The item stays, with its good caption; the broken one is withheld from employees.
          await waitFor('the core reads the item without the broken caption', async () => {
            const got = await carol.client.call('item.get', { id: item.id })
            return got.captions.x === 'Fine on X' && got.captions.linkedin === undefined
          })
          const row = readQueueTable(carol.dataDir).find((entry) => entry.id === item.id)
          expect(row?.captions).toEqual({ x: 'Fine on X' })

          const context = await newContext(browser.browser, {
            origin: `http://127.0.0.1:${carol.port}`,
          })
          contexts.push(context)
          const carolPage = await studioPage(context, carol)
          await openStudioItem(carolPage, item.title)
          const problems = carolPage.getByTestId('item-problems')
          await problems.waitFor(WAIT)
          expect(await problems.textContent()).toContain(says.problem)
          // Tabs mark the networks that really have a caption (every network has an empty text).
          expect(await carolPage.getByTestId('tab-x').getAttribute('data-has-caption')).toBe('true')
          expect(await carolPage.getByTestId('tab-facebook').getAttribute('data-has-caption')).toBe(
            'false',
          )
        } finally {
          writer.close()
        }
      } finally {
        await carol.stop()
        await carolRelay.stop().catch(() => {})
      }
    })
  }
})
