/**
 * The employee popover end to end, in Debian's Chromium: a real relay, a champion's core writing
 * the queue, and the employee's core host serving the built renderer. The employee joins, shares
 * and goes offline through the UI only; the test reads what the core handed its opener, the
 * clipboard, and the relay's SQLite.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPENED_URLS_FILE } from '../../main/host/opener'
import { DB_FILE } from '../../sync-server/persistence/database'
import { launchChromium, newContext, type TestBrowser } from '../helpers/browser'
import { type CoreProcess, startCore } from '../helpers/core'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'
import { waitFor } from '../helpers/wait'

const ROOT = resolve(import.meta.dirname, '..', '..')
const RESULTS = join(ROOT, 'test-results')
const WAIT = { timeout: 20_000 }

/** The last share page the employee's core handed to its opener. */
function lastOpenedUrl(dataDir: string): string | undefined {
  let text: string
  try {
    text = readFileSync(join(dataDir, OPENED_URLS_FILE), 'utf8')
  } catch {
    return undefined
  }
  const lines = text.trim().split('\n').filter(Boolean)
  const last = lines[lines.length - 1]
  return last ? (JSON.parse(last) as { url: string }).url : undefined
}

/** The share as the relay stored it, read-only from its SQLite file. */
function relayShare(
  relayDir: string,
  shareId: string,
): { item_id: string; network: string } | undefined {
  const db = new Database(join(relayDir, DB_FILE), { readonly: true, fileMustExist: true })
  try {
    return db
      .prepare<[string], { item_id: string; network: string }>(
        'SELECT item_id, network FROM shares WHERE id = ?',
      )
      .get(shareId)
  } finally {
    db.close()
  }
}

/** Like Promise.all, but waits for every promise before throwing the first failure. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
}

type Stack = {
  relay: RelayProcess
  champion: CoreProcess
  employee: CoreProcess
  chromium: TestBrowser
  /** The employee joins with it the way each describe tests (popover UI or contract). */
  employeeInvitation: string
}

/** Stop whatever part of a stack is up: browser, cores, then the relay. */
async function stopStack(stack: Partial<Stack>): Promise<void> {
  await stack.chromium?.close()
  await Promise.all([stack.champion?.stop(), stack.employee?.stop()])
  await stack.relay?.stop()
  // Every folder the stack made goes with it.
  for (const dir of [stack.champion?.dataDir, stack.employee?.dataDir, stack.relay?.dataDir]) {
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A relay with the "Acme" workspace, the champion's core joined to it, the employee's core serving
 * the built renderer (not joined), and Chromium. The cores and the browser start in parallel; if
 * any part fails, whatever did start is stopped before the error is thrown.
 */
async function startStack(): Promise<Stack> {
  mkdirSync(RESULTS, { recursive: true })
  const up: Partial<Stack> = {}
  try {
    const relay = await startRelay()
    up.relay = relay
    const workspaceId = await relay.createWorkspace('Acme')
    const championInvitation = await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' })
    const employeeInvitation = await relay.invite({ workspaceId, name: 'Eric', role: 'employee' })
    await settleAll([
      startCore().then((core) => {
        up.champion = core
      }),
      startCore({ args: ['--static', rendererDir()] }).then((core) => {
        up.employee = core
      }),
      launchChromium().then((browser) => {
        up.chromium = browser
      }),
    ])
    const { champion, employee, chromium } = up
    if (!champion || !employee || !chromium) throw new Error('the stack did not start')
    await champion.client.call('workspace.join', { invitation: championInvitation })
    return { relay, champion, employee, chromium, employeeInvitation }
  } catch (error) {
    await stopStack(up)
    throw error
  }
}

async function syncState(page: Page): Promise<string | null> {
  return page.getByTestId('sync-status').getAttribute('data-state')
}

async function openItem(page: Page, title: string): Promise<void> {
  await page.getByTestId('nav-queue').click()
  if (await page.getByTestId('item-view').isVisible()) await page.getByTestId('nav-queue').click()
  await page.getByTestId('queue-item').filter({ hasText: title }).getByRole('button').click()
  await page.getByTestId('item-view').waitFor(WAIT)
}

describe('employee popover (Chromium, dev host, real relay)', () => {
  let relay: RelayProcess
  let champion: CoreProcess
  let employee: CoreProcess
  let chromium: TestBrowser
  let employeeInvitation: string

  beforeAll(async () => {
    ;({ relay, champion, employee, chromium, employeeInvitation } = await startStack())
  })

  // The test restarts the relay: stop the one running now.
  afterAll(() => stopStack({ relay, champion, employee, chromium }))

  it('joins, shares a personalised caption through a tracked link, and keeps working offline', async () => {
    const deadline = new Date(Date.now() + 5 * 86_400_000).toISOString()
    const campaign = await champion.client.call('campaign.create', {
      name: 'Lancement Q3',
      objective: 'campaign',
      goalMetric: 'confirmed sign-ups',
      goalTarget: 3000,
      deadline,
    })
    const launch = await champion.client.call('item.create', {
      title: 'Our Q3 launch event: save the date',
      // A query string and a fragment: UTM parameters go between them.
      url: 'https://example.com/events/q3?ref=news#agenda',
      source: 'Acme blog',
      objective: 'campaign',
      topics: ['events', 'product'],
      why: 'Every sign-up from your network counts towards the 3,000 goal.',
      campaignId: campaign.id,
      status: 'published',
      priority: 90,
    })
    await champion.client.call('item.setCaption', {
      id: launch.id,
      network: 'linkedin',
      text: 'Our Q3 launch is coming. {{why you will be there}}',
    })
    const culture = await champion.client.call('item.create', {
      title: 'Inside our Lyon office',
      url: 'https://example.com/culture/lyon',
      source: 'Acme careers',
      objective: 'awareness',
      topics: ['culture'],
      status: 'published',
      priority: 40,
    })
    await champion.client.call('item.setCaption', {
      id: culture.id,
      network: 'x',
      text: 'A day in our Lyon office',
    })

    const origin = `http://127.0.0.1:${employee.port}`
    const context = await newContext(chromium.browser, { origin, colorScheme: 'light' })
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    // The strict CSP must not be tripped by the popover itself (inline styles, images…).
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text())
    })
    await page.goto(`${origin}/index.html`)

    // First run: join by pasting the invitation.
    await page.getByTestId('join-invitation').waitFor(WAIT)
    await page.screenshot({ path: join(RESULTS, 'popover-join-light.png') })
    await page.getByTestId('join-invitation').fill(employeeInvitation)
    await page.getByTestId('join-submit').click()
    await expect.poll(() => syncState(page), WAIT).toBe('synced')

    // The champion's items appear, most relevant first, with the campaign's deadline.
    const rows = page.getByTestId('queue-item')
    await rows.filter({ hasText: 'Our Q3 launch event' }).waitFor(WAIT)
    await rows.filter({ hasText: 'Inside our Lyon office' }).waitFor(WAIT)
    expect(await rows.first().textContent()).toContain('Our Q3 launch event')
    expect(await rows.first().getByTestId('campaign-badge').textContent()).toMatch(
      /Lancement Q3 · [45] days left/,
    )
    // The deadline's date as the badge's tooltip, without a hover (written once the page is idle).
    await expect
      .poll(() => rows.first().getByTestId('campaign-badge').getAttribute('title'), WAIT)
      .toMatch(/\d/)

    // Filtering by objective narrows the list; clearing it brings everything back.
    await page.getByTestId('filter-objective').selectOption('awareness')
    await expect.poll(() => rows.count(), WAIT).toBe(1)
    expect(await rows.first().textContent()).toContain('Inside our Lyon office')
    await page.getByTestId('filter-objective').selectOption('talent')
    await page.getByTestId('queue-empty').waitFor(WAIT)
    await page.getByTestId('filter-objective').selectOption('')
    await expect.poll(() => rows.count(), WAIT).toBe(2)

    // Item view: the suggestion holds a placeholder, so sharing waits for a personal touch.
    await openItem(page, 'Our Q3 launch event')
    expect(await page.getByTestId('item-why').textContent()).toContain('3,000 goal')
    const caption = page.getByTestId('caption')
    expect(await caption.inputValue()).toBe('Our Q3 launch is coming. {{why you will be there}}')
    await page.getByTestId('placeholder-warning').waitFor(WAIT)
    expect(await page.getByTestId('share-button').isDisabled()).toBe(true)

    const edited = 'Our Q3 launch is coming — I’m presenting the new API there. Join me! 🚀'
    await caption.fill(edited)
    expect(await page.getByTestId('placeholder-warning').count()).toBe(0)
    expect(await page.getByTestId('length-counter').textContent()).toBe(`${edited.length} / 3000`)
    await page.screenshot({ path: join(RESULTS, 'popover-item-light.png') })
    await page.getByTestId('share-button').click()

    const done = page.getByTestId('share-done')
    await done.waitFor(WAIT)
    expect(await done.textContent()).toBe('Caption copied — paste it in LinkedIn.')
    await page.screenshot({ path: join(RESULTS, 'popover-shared-light.png') })
    const shareId = (await done.getAttribute('data-share-id')) ?? ''
    expect(shareId).toMatch(/^[0-9a-z]{20}$/)

    // The opener got LinkedIn's share page for the tracked link, exactly.
    const tracked =
      'https://example.com/events/q3?ref=news&utm_source=linkedin&utm_medium=employee-advocacy' +
      `&utm_campaign=lancement-q3&utm_content=${shareId}#agenda`
    expect(lastOpenedUrl(employee.dataDir)).toBe(
      `https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(tracked)}`,
    )
    // The clipboard holds the caption as edited.
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(edited)
    // The edited caption stays, and the item shows as shared on LinkedIn.
    expect(await caption.inputValue()).toBe(edited)
    expect(await page.getByTestId('network-tab-linkedin').textContent()).toContain('✓')
    await page.getByTestId('nav-queue').click()
    await expect
      .poll(
        () =>
          rows.filter({ hasText: 'Our Q3 launch event' }).getByTestId('shared-mark').textContent(),
        WAIT,
      )
      .toContain('LinkedIn')

    // My stats count it.
    await page.getByTestId('nav-stats').click()
    await expect.poll(() => page.getByTestId('stat-today').textContent(), WAIT).toContain('1')
    expect(await page.getByTestId('stats-by-network').textContent()).toContain('LinkedIn1')
    expect(await page.getByTestId('stats-by-objective').textContent()).toContain('Campaign1')
    await page.screenshot({ path: join(RESULTS, 'popover-stats-light.png') })

    // Screenshots of the queue in light and in dark (the system's scheme, no setting).
    await page.getByTestId('nav-queue').click()
    await rows.first().waitFor(WAIT)
    await page.screenshot({ path: join(RESULTS, 'popover-light.png') })
    const dark = await newContext(chromium.browser, { origin, colorScheme: 'dark' })
    const darkPage = await dark.newPage()
    await darkPage.goto(`${origin}/index.html`)
    await darkPage.getByTestId('queue-item').first().waitFor(WAIT)
    const background = await darkPage.evaluate(
      () => getComputedStyle(document.body).backgroundColor,
    )
    expect(background).toBe('rgb(22, 24, 29)')
    await darkPage.screenshot({ path: join(RESULTS, 'popover-dark.png') })
    await openItem(darkPage, 'Our Q3 launch event')
    await darkPage.screenshot({ path: join(RESULTS, 'popover-item-dark.png') })
    await dark.close()

    // The online share reached the relay.
    await waitFor('online share at relay', () => relayShare(relay.dataDir, shareId))

    // Relay down: the popover says so and still lists the queue and stats (also after a reload).
    const { dataDir: relayDir, port: relayPort } = relay
    await relay.stop()
    await expect.poll(() => syncState(page), WAIT).toBe('offline')
    await page.reload()
    await expect.poll(() => syncState(page), WAIT).toBe('offline')
    await page.getByTestId('offline-banner').waitFor(WAIT)
    await expect.poll(() => rows.count(), WAIT).toBe(2)
    await page.screenshot({ path: join(RESULTS, 'popover-offline-light.png') })
    await page.getByTestId('nav-stats').click()
    await expect.poll(() => page.getByTestId('stat-today').textContent(), WAIT).toContain('1')

    // A share made offline is recorded at once and waits for the relay.
    await openItem(page, 'Inside our Lyon office')
    await page.getByTestId('network-tab-x').click()
    expect(await page.getByTestId('caption').inputValue()).toBe('A day in our Lyon office')
    await page.getByTestId('share-button').click()
    const offlineDone = page.getByTestId('share-done')
    await offlineDone.waitFor(WAIT)
    const offlineShareId = (await offlineDone.getAttribute('data-share-id')) ?? ''
    expect(lastOpenedUrl(employee.dataDir)).toMatch(
      /^https:\/\/x\.com\/intent\/tweet\?text=A%20day/,
    )
    expect(offlineShareId).not.toBe(shareId)
    await page.getByTestId('nav-stats').click()
    await expect.poll(() => page.getByTestId('stat-today').textContent(), WAIT).toContain('2')
    expect(relayShare(relayDir, offlineShareId)).toBeUndefined()

    // The relay returns: the popover is back in step and the offline share reaches it.
    relay = await startRelay({ dataDir: relayDir, port: relayPort })
    await expect.poll(() => syncState(page), { timeout: 30_000 }).toBe('synced')
    const stored = await waitFor(
      'offline share at relay',
      () => relayShare(relayDir, offlineShareId),
      { timeoutMs: 30_000 },
    )
    expect(stored).toEqual({ item_id: culture.id, network: 'x' })
    expect(pageErrors).toEqual([])
    await context.close()
  })
})

describe('popover content and settings (Chromium)', () => {
  let relay: RelayProcess
  let champion: CoreProcess
  let employee: CoreProcess
  let chromium: TestBrowser

  beforeAll(async () => {
    let employeeInvitation: string
    ;({ relay, champion, employee, chromium, employeeInvitation } = await startStack())
    await employee.client.call('workspace.join', { invitation: employeeInvitation })
  })

  afterAll(() => stopStack({ relay, champion, employee, chromium }))

  it('shows hostile titles, notes and captions literally and runs nothing', async () => {
    const img = '<img src=x onerror="window.__pwned=1">'
    const script = '<script>window.__pwned=1</script>'
    const item = await champion.client.call('item.create', {
      title: `Hello ${img} ${script}`,
      url: 'https://example.com/hostile',
      source: script,
      objective: 'awareness',
      why: `Note ${img}`,
      status: 'published',
    })
    await champion.client.call('item.setCaption', {
      id: item.id,
      network: 'linkedin',
      text: `Caption ${img} ${script}`,
    })
    await waitFor('hostile item at the employee', async () => {
      const queue = await employee.client.call('queue.forMe', {})
      return queue.some((entry) => entry.suggested.linkedin?.includes('Caption'))
    })

    const origin = `http://127.0.0.1:${employee.port}`
    const context = await newContext(chromium.browser, { origin })
    const page = await context.newPage()
    await page.goto(`${origin}/index.html`)
    const row = page.getByTestId('queue-item').first()
    await row.waitFor(WAIT)
    expect(await row.locator('.item-title').textContent()).toBe(`Hello ${img} ${script}`)
    await row.getByRole('button').click()
    await page.getByTestId('item-view').waitFor(WAIT)
    expect(await page.getByTestId('item-title').textContent()).toBe(`Hello ${img} ${script}`)
    expect(await page.getByTestId('item-why').textContent()).toBe(`Note ${img}`)
    expect(await page.getByTestId('caption').inputValue()).toBe(`Caption ${img} ${script}`)
    // No element was made from the text: no <img> or <script> anywhere in the item view.
    expect(
      await page.locator('[data-testid=item-view] img, [data-testid=item-view] script').count(),
    ).toBe(0)
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined()
    await context.close()
  })

  it('shows a share error with a way to Settings, keeps the edited caption, and applies settings', async () => {
    const item = await champion.client.call('item.create', {
      title: 'Open-source release',
      url: 'https://example.com/oss',
      objective: 'awareness',
      status: 'published',
      priority: 100,
    })
    await champion.client.call('item.setCaption', {
      id: item.id,
      network: 'mastodon',
      text: 'We just open-sourced our toolkit',
    })
    const origin = `http://127.0.0.1:${employee.port}`
    // With no language setting, the popover speaks the system's language.
    const french = await chromium.browser.newContext({ locale: 'fr-FR' })
    const frenchPage = await french.newPage()
    await frenchPage.goto(`${origin}/index.html`)
    await frenchPage.getByTestId('nav-queue').waitFor(WAIT)
    expect(await frenchPage.getByTestId('nav-queue').textContent()).toBe('Partager')
    expect(await frenchPage.evaluate(() => document.documentElement.lang)).toBe('fr')
    await french.close()

    const context = await newContext(chromium.browser, { origin })
    const page = await context.newPage()
    await page.goto(`${origin}/index.html`)
    expect(await page.getByTestId('nav-queue').textContent()).toBe('Share')

    // Turn Mastodon on (no server yet).
    await page.getByTestId('nav-settings').click()
    await page.getByTestId('setting-network-mastodon').check()
    await page.getByTestId('settings-save').click()
    await page.getByTestId('settings-message').filter({ hasText: 'Saved.' }).waitFor(WAIT)

    await page.getByTestId('nav-queue').click()
    await page.getByTestId('queue-item').filter({ hasText: 'Open-source release' }).waitFor(WAIT)
    await openItem(page, 'Open-source release')
    await page.getByTestId('network-tab-mastodon').click()
    const edited = 'We just open-sourced our toolkit — my team built the parser!'
    await page.getByTestId('caption').fill(edited)
    await page.getByTestId('share-button').click()
    const error = page.getByTestId('share-error')
    await error.waitFor(WAIT)
    expect(await error.textContent()).toContain('Set your Mastodon server')
    expect(await page.getByTestId('caption').inputValue()).toBe(edited)
    const before = lastOpenedUrl(employee.dataDir)

    // The link leads to Settings; a server pasted with spaces is trimmed.
    await page.getByTestId('open-settings').click()
    await page.getByTestId('setting-mastodon').fill('  mastodon.social  ')
    await page.getByTestId('settings-save').click()
    await page.getByTestId('settings-message').filter({ hasText: 'Saved.' }).waitFor(WAIT)
    expect((await employee.client.call('settings.get', {})).mastodonInstance).toBe(
      'mastodon.social',
    )

    // Back to the item: same network, same edited caption; sharing now works.
    await page.getByTestId('nav-queue').click()
    expect(await page.getByTestId('caption').inputValue()).toBe(edited)
    expect(await page.getByTestId('network-tab-mastodon').getAttribute('aria-selected')).toBe(
      'true',
    )
    await page.getByTestId('share-button').click()
    await page.getByTestId('share-done').waitFor(WAIT)
    const opened = lastOpenedUrl(employee.dataDir)
    expect(opened).not.toBe(before)
    expect(opened).toMatch(/^https:\/\/mastodon\.social\/share\?text=We%20just%20open-sourced/)
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(edited)

    // Language and theme settings override the system's.
    await page.getByTestId('nav-settings').click()
    await page.getByTestId('setting-language').selectOption('fr')
    await page.getByTestId('setting-theme').selectOption('dark')
    await page.getByTestId('settings-save').click()
    await page.getByTestId('settings-message').filter({ hasText: 'Enregistré.' }).waitFor(WAIT)
    expect(await page.getByTestId('nav-queue').textContent()).toBe('Partager')
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr')
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(22, 24, 29)',
    )
    await page.screenshot({ path: join(RESULTS, 'popover-settings-fr-dark.png') })
    await context.close()
  })

  it('proposes content and shows the champions’ decision with its reason', async () => {
    // Independent of the settings test before it.
    await employee.client.call('settings.update', { language: 'en', theme: 'system' })
    const origin = `http://127.0.0.1:${employee.port}`
    const context = await newContext(chromium.browser, { origin })
    const page = await context.newPage()
    await page.goto(`${origin}/index.html`)
    await page.getByTestId('nav-propose').click()
    await page.getByTestId('propose-url').fill('https://example.org/report-2026')
    await page.getByTestId('propose-title').fill('Industry report 2026')
    await page.getByTestId('propose-note').fill('We are quoted on page 12.')
    await page.getByTestId('propose-caption').fill('Worth a read: the 2026 report.')
    await page.getByTestId('propose-submit').click()
    await page.getByTestId('propose-message').waitFor(WAIT)
    // The form is emptied for the next one; the proposal is listed at once.
    expect(await page.getByTestId('propose-title').inputValue()).toBe('')
    const proposal = page.getByTestId('proposal').filter({ hasText: 'Industry report 2026' })
    await proposal.waitFor(WAIT)
    const id = (await proposal.getAttribute('data-proposal-id')) ?? ''
    // Delivered through the relay, it waits for a champion.
    await expect
      .poll(() => proposal.getByTestId('proposal-state').textContent(), WAIT)
      .toBe('Pending review')
    await waitFor('the proposal at the champion', async () =>
      (await champion.client.call('queue.list', {})).some((item) => item.id === id),
    )
    await champion.client.call('item.reject', { id, reason: 'Behind a paywall' })
    await expect
      .poll(() => proposal.getByTestId('proposal-state').textContent(), WAIT)
      .toBe('Rejected')
    expect(await proposal.textContent()).toContain('Reason: Behind a paywall')
    await proposal.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(RESULTS, 'popover-propose-light.png') })
    await context.close()
  })
})
