/**
 * Accessibility (issue 7 point 7): axe-core scans every popover and studio view in Chromium, in
 * light and dark, in English and French. No serious or critical violation, and none of the
 * moderate `page-has-heading-one` / `landmark-unique`; and a share done with the keyboard only.
 */
import { rmSync } from 'node:fs'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, type TestBrowser } from '../helpers/browser'
import { type CoreProcess, startCore } from '../helpers/core'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'
import { waitFor } from '../helpers/wait'

const WAIT = { timeout: 20_000 }
const BLOCKING_IMPACTS = new Set(['serious', 'critical'])
const ALSO_REFUSED = new Set(['page-has-heading-one', 'landmark-unique'])

type Lang = 'en' | 'fr'
type Theme = 'light' | 'dark'
const COMBOS: { lang: Lang; theme: Theme }[] = [
  { lang: 'en', theme: 'light' },
  { lang: 'en', theme: 'dark' },
  { lang: 'fr', theme: 'light' },
  { lang: 'fr', theme: 'dark' },
]

async function open(
  browser: Browser,
  core: CoreProcess,
  combo: { lang: Lang; theme: Theme },
  hash = '',
): Promise<Page> {
  const context = await browser.newContext({
    locale: combo.lang === 'fr' ? 'fr-FR' : 'en-US',
    colorScheme: combo.theme,
    viewport: hash ? { width: 1200, height: 800 } : { width: 380, height: 580 },
    // No transition half-way through when axe samples colours.
    reducedMotion: 'reduce',
  })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: `http://127.0.0.1:${core.port}`,
  })
  const page = await context.newPage()
  await page.goto(`http://127.0.0.1:${core.port}/index.html${hash}`)
  return page
}

/** The violations this suite refuses, one readable line each. */
async function violations(page: Page, view: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((v) => BLOCKING_IMPACTS.has(v.impact ?? '') || ALSO_REFUSED.has(v.id))
    .map(
      (v) =>
        `${view}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes
          .slice(0, 3)
          .map((node) => `${node.target.join(' ')} ${node.failureSummary?.split('\n')[1] ?? ''}`)
          .join(' | ')}`,
    )
}

describe('accessibility (axe-core in Chromium)', () => {
  let relay: RelayProcess
  let chromium: TestBrowser
  let champion: CoreProcess
  let employee: CoreProcess
  let newcomer: CoreProcess
  let itemTitle: string

  beforeAll(async () => {
    ;[relay, chromium] = await Promise.all([startRelay(), launchChromium()])
    const workspaceId = await relay.createWorkspace('Acme')
    const args = ['--static', rendererDir()]
    ;[champion, employee, newcomer] = await Promise.all([
      startCore({ args }),
      startCore({ args }),
      startCore({ args }),
    ])
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
    // Content in every state a view can show: a campaign, published items (one shared), a
    // draft, a proposal awaiting review.
    const campaign = await champion.client.call('campaign.create', {
      name: 'Lancement Q3',
      objective: 'campaign',
      goalMetric: 'sign-ups',
      goalTarget: 3000,
      deadline: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    })
    const launch = await champion.client.call('item.create', {
      title: 'Our Q3 launch event',
      url: 'https://example.com/q3',
      source: 'Acme blog',
      objective: 'campaign',
      topics: ['events'],
      why: 'Every sign-up counts.',
      campaignId: campaign.id,
      status: 'published',
      priority: 90,
    })
    await champion.client.call('item.setCaption', {
      id: launch.id,
      network: 'linkedin',
      text: 'Our launch is coming. {{why you will be there}}',
    })
    const culture = await champion.client.call('item.create', {
      title: 'Inside our Lyon office',
      url: 'https://example.com/lyon',
      objective: 'awareness',
      topics: ['culture'],
      status: 'published',
      priority: 40,
    })
    itemTitle = culture.title
    await champion.client.call('item.setCaption', {
      id: culture.id,
      network: 'linkedin',
      text: 'A day in our Lyon office',
    })
    await champion.client.call('item.create', {
      title: 'Draft: hiring week',
      url: 'https://example.com/hiring',
      objective: 'talent',
    })
    await waitFor('items at the employee', async () => {
      const queue = await employee.client.call('queue.forMe', {})
      return queue.length === 2
    })
    await employee.client.call('share.perform', {
      itemId: launch.id,
      network: 'linkedin',
      text: 'Our launch is coming and I will be there',
    })
    await employee.client.call('proposal.create', {
      url: 'https://example.org/report',
      title: 'Industry report 2026',
      note: 'We are quoted.',
      caption: '',
    })
  })

  afterAll(async () => {
    await chromium?.close()
    const cores = [champion, employee, newcomer].filter(Boolean)
    await Promise.all(cores.map((c) => c.stop()))
    await relay?.stop()
    for (const c of cores) rmSync(c.dataDir, { recursive: true, force: true })
    if (relay) rmSync(relay.dataDir, { recursive: true, force: true })
  })

  it.each(COMBOS)('popover views ($lang, $theme)', async (combo) => {
    const found: string[] = []
    const join = await open(chromium.browser, newcomer, combo)
    await join.getByTestId('join-invitation').waitFor(WAIT)
    found.push(...(await violations(join, 'join')))
    await join.context().close()

    const page = await open(chromium.browser, employee, combo)
    await page.getByTestId('queue-item').first().waitFor(WAIT)
    found.push(...(await violations(page, 'queue')))
    await page.getByTestId('queue-item').filter({ hasText: itemTitle }).getByRole('button').click()
    await page.getByTestId('item-view').waitFor(WAIT)
    found.push(...(await violations(page, 'item')))
    for (const view of ['propose', 'stats', 'settings'] as const) {
      await page.getByTestId(`nav-${view}`).click()
      await page.locator('h1').first().waitFor(WAIT)
      if (view === 'propose') await page.getByTestId('proposal').first().waitFor(WAIT)
      if (view === 'stats') await page.getByTestId('stats').waitFor(WAIT)
      if (view === 'settings') await page.getByTestId('account').waitFor(WAIT)
      found.push(...(await violations(page, view)))
    }
    await page.context().close()
    if (found.length) console.log(found.join('\n'))
    expect(found).toEqual([])
  })

  it.each(COMBOS)('studio views ($lang, $theme)', async (combo) => {
    const found: string[] = []
    const page = await open(chromium.browser, champion, combo, '#studio')
    await page.getByTestId('studio').waitFor(WAIT)
    await page.getByTestId('nav-items').click()
    await page.getByTestId('studio-item').first().waitFor(WAIT)
    found.push(...(await violations(page, 'studio items')))
    await page.getByTestId('studio-item').filter({ hasText: itemTitle }).first().click()
    await page.getByTestId('item-editor').waitFor(WAIT)
    found.push(...(await violations(page, 'studio editor')))
    for (const view of ['review', 'campaigns', 'results', 'recognition', 'feeds'] as const) {
      await page.getByTestId(`nav-${view}`).click()
      await page.waitForTimeout(0)
      await page.locator('h1, h2').first().waitFor(WAIT)
      found.push(...(await violations(page, `studio ${view}`)))
    }
    await page.context().close()
    if (found.length) console.log(found.join('\n'))
    expect(found).toEqual([])
  })

  it('shares with the keyboard only: tab to an item, open it, write, share', async () => {
    const page = await open(chromium.browser, employee, { lang: 'en', theme: 'light' })
    await page.getByTestId('queue-item').first().waitFor(WAIT)
    const focusedTestId = () =>
      page.evaluate(() => {
        const active = document.activeElement
        return (
          active?.getAttribute('data-testid') ??
          active?.closest('[data-testid]')?.getAttribute('data-testid') ??
          active?.tagName ??
          null
        )
      })
    const focusedText = () =>
      page.evaluate(() =>
        document.activeElement?.tagName === 'BUTTON'
          ? (document.activeElement.textContent ?? '')
          : '',
      )
    // Tab until the item's row has focus (the tab order passes the header, tabs and filters).
    const tabUntil = async (done: () => Promise<boolean>, what: string) => {
      for (let presses = 0; presses < 40; presses++) {
        if (await done()) return
        await page.keyboard.press('Tab')
      }
      throw new Error(`the keyboard never reached ${what}`)
    }
    await tabUntil(async () => (await focusedText()).includes(itemTitle), 'the item')
    await page.keyboard.press('Enter')
    await page.getByTestId('item-view').waitFor(WAIT)
    await tabUntil(async () => (await focusedTestId()) === 'caption', 'the caption')
    await page.keyboard.press('End')
    await page.keyboard.type(' — come and see!')
    await tabUntil(async () => (await focusedTestId()) === 'share-button', 'the Share button')
    await page.keyboard.press('Enter')
    await page.getByTestId('share-done').waitFor(WAIT)
    expect(await page.getByTestId('caption').inputValue()).toContain('come and see!')
    // Focus stays on the button (not dropped to the page) and is visible there.
    expect(await focusedTestId()).toBe('share-button')
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement ?? document.body).outlineStyle,
    )
    expect(outline).not.toBe('none')
    await page.context().close()
  })
})
