/**
 * The popover's messages and account, end to end in Chromium (issue 7 points 4 and 5, issue 8
 * point 13): what a person reads when joining, when the relay is out of reach, when proposing
 * offline, as a champion, and in Settings' account section — in English and in French, with no
 * text of the core's own (method names, field paths, HTTP statuses) reaching the page.
 */
import { readFileSync, rmSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccountExport } from '../../common/contract/api'
import { launchChromium, type TestBrowser } from '../helpers/browser'
import { type CoreProcess, fakeInvitation, startCore } from '../helpers/core'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'

const WAIT = { timeout: 20_000 }
/** What must never be read in the page: the core's own words. */
const INTERNAL = /proposal\.create|workspace\.join|invalid params|HTTP 40\d|Unexpected server|parse/

type Lang = 'en' | 'fr'

async function open(browser: Browser, core: CoreProcess, lang: Lang): Promise<Page> {
  const context = await browser.newContext({
    locale: lang === 'fr' ? 'fr-FR' : 'en-US',
    viewport: { width: 380, height: 580 },
    acceptDownloads: true,
  })
  const page = await context.newPage()
  await page.goto(`http://127.0.0.1:${core.port}/index.html`)
  return page
}

async function bodyText(page: Page): Promise<string> {
  return (await page.locator('body').textContent()) ?? ''
}

describe('popover messages and account (Chromium)', () => {
  let relay: RelayProcess
  let chromium: TestBrowser
  let workspaceId: string
  const cores: CoreProcess[] = []

  const core = async () => {
    const started = await startCore({ args: ['--static', rendererDir()] })
    cores.push(started)
    return started
  }

  beforeAll(async () => {
    ;[relay, chromium] = await Promise.all([startRelay(), launchChromium()])
    workspaceId = await relay.createWorkspace('Acme')
  })

  afterAll(async () => {
    await chromium?.close()
    await Promise.all(cores.map((c) => c.stop()))
    await relay?.stop()
    for (const c of cores) rmSync(c.dataDir, { recursive: true, force: true })
    if (relay) rmSync(relay.dataDir, { recursive: true, force: true })
  })

  it.each<Lang>(['en', 'fr'])(
    'join (%s): finds the link in an e-mail, dates in the locale, says why a link is refused, never keeps a stale reason',
    async (lang) => {
      const employee = await core()
      const page = await open(chromium.browser, employee, lang)
      const box = page.getByTestId('join-invitation')
      const error = page.getByTestId('join-error')
      await box.waitFor({ timeout: 30_000 })

      // Not a link: said in words, with what to paste.
      await box.fill('bonjour')
      await page.getByTestId('join-submit').click()
      await error.waitFor(WAIT)
      expect(await error.getAttribute('data-problem')).toBe('problem.invitationMalformed')
      expect(await error.textContent()).toContain(
        lang === 'en' ? 'Paste the whole porte-voix://join' : 'Collez le lien porte-voix://join',
      )

      // An expired invitation: said before joining, with its date the person's way.
      const expired = fakeInvitation({
        role: 'employee',
        name: 'Eric',
        relayUrl: relay.url,
        expiresInSeconds: -3600,
      })
      await box.fill(expired)
      await error.waitFor(WAIT)
      const expiredText = (await error.textContent()) ?? ''
      expect(expiredText).toContain(lang === 'en' ? 'expired on' : 'a expiré le')
      if (lang === 'fr') {
        expect(expiredText).not.toMatch(/AM|PM/)
        expect(expiredText).toMatch(/\d{2}:\d{2}/)
      } else expect(expiredText).toMatch(/AM|PM/)
      expect(await page.getByTestId('join-submit').isDisabled()).toBe(true)

      // A link inside an e-mail's text is found; the expired-link reason does not stay.
      const unsigned = fakeInvitation({ role: 'employee', name: 'Eric', relayUrl: relay.url })
      const mail =
        lang === 'en'
          ? `Hi Eric,\n\nWelcome aboard! Your link: ${unsigned}\n\nCheers,\nChloé`
          : `Bonjour Eric,\n\nBienvenue ! Ton lien : <${unsigned.replace('&', '&amp;')}>.\n\nChloé`
      await box.fill(mail)
      expect(await error.count()).toBe(0)
      await page.getByTestId('join-found').waitFor(WAIT)
      const details = (await page.getByTestId('join-details').textContent()) ?? ''
      expect(details).toContain(lang === 'en' ? 'Joins as Eric (employee)' : 'Eric (collaborateur)')
      expect(details).toContain(lang === 'en' ? 'Valid until' : 'Valable jusqu’au')

      // The relay refuses this (unsigned) token: the reason is given, not the HTTP status.
      await page.getByTestId('join-submit').click()
      await error.waitFor(WAIT)
      expect(await error.getAttribute('data-problem')).toMatch(/^problem\.(invitation|wrongRelay)/)
      expect(await bodyText(page)).not.toMatch(INTERNAL)

      // A new link: the old reason goes at once.
      await box.fill(`${unsigned} `)
      expect(await error.count()).toBe(0)
      await page.context().close()
    },
  )

  it('joining while the relay is unreachable says so, and an offline proposal will be sent (EN, FR)', async () => {
    const employee = await core()
    const page = await open(chromium.browser, employee, 'en')
    await page
      .getByTestId('join-invitation')
      .fill(fakeInvitation({ role: 'employee', name: 'Eric', relayUrl: 'ws://127.0.0.1:9' }))
    await page.getByTestId('join-submit').click()
    const empty = page.getByTestId('queue-empty')
    await empty.waitFor({ timeout: 30_000 })
    expect(await empty.textContent()).toContain('the relay 127.0.0.1:9 cannot be reached')
    expect(await empty.textContent()).not.toContain('champions will add')

    // A request refused by the contract: words, not the method and field.
    await page.getByTestId('nav-propose').click()
    await page.getByTestId('propose-url').fill('https://example.org/report')
    await page.getByTestId('propose-title').fill('   ')
    await page.getByTestId('propose-submit').click()
    const message = page.getByTestId('propose-message')
    await message.waitFor(WAIT)
    expect(await message.textContent()).toContain('Check the link')
    expect(await bodyText(page)).not.toMatch(INTERNAL)

    // Offline, a proposal is kept and will be sent: it is not said to be sent.
    await page.getByTestId('propose-title').fill('Industry report')
    await page.getByTestId('propose-submit').click()
    await expect.poll(() => message.textContent(), WAIT).toContain('will be sent')
    expect(await message.textContent()).not.toContain('Proposal sent')
    await page.context().close()

    const fr = await open(chromium.browser, employee, 'fr')
    const frEmpty = fr.getByTestId('queue-empty')
    await frEmpty.waitFor(WAIT)
    expect(await frEmpty.textContent()).toContain('le relais 127.0.0.1:9 est injoignable')
    await fr.getByTestId('nav-propose').click()
    await fr.getByTestId('propose-url').fill('https://example.org/autre')
    await fr.getByTestId('propose-title').fill('Autre rapport')
    await fr.getByTestId('propose-submit').click()
    await expect
      .poll(() => fr.getByTestId('propose-message').textContent(), WAIT)
      .toContain('sera envoyée')

    // Leaving (keeping my history): what is kept is said before, what happened after.
    await fr.getByTestId('nav-settings').click()
    expect(await fr.getByTestId('account-who').textContent()).toBe(
      'Connecté en tant que Eric (collaborateur)',
    )
    await fr.getByTestId('account-leave').click()
    expect(await fr.getByTestId('account-confirm').textContent()).toContain('Quitter')
    await fr.getByTestId('account-confirm-yes').click()
    const notice = fr.getByTestId('join-notice')
    await notice.waitFor(WAIT)
    expect(await notice.textContent()).toContain('Vous avez quitté l’espace')
    expect(await notice.textContent()).toContain('sont conservés')
    // Kept: my proposals are still on this device (the export says so), my settings too.
    const kept = await employee.client.call('account.export', {})
    expect(kept.session).toBeNull()
    expect(kept.proposals.map((p) => p.title)).toContain('Autre rapport')
    await fr.context().close()
  })

  it.each<Lang>(['en', 'fr'])(
    'a champion (%s) gets Open studio and is never told that champions will add content',
    async (lang) => {
      const champion = await core()
      const name = `Chloé ${lang}`
      await champion.client.call('workspace.join', {
        invitation: await relay.invite({ workspaceId, name, role: 'champion' }),
      })
      const page = await open(chromium.browser, champion, lang)
      const empty = page.getByTestId('queue-empty')
      await empty.waitFor(WAIT)
      await expect
        .poll(() => page.getByTestId('sync-status').getAttribute('data-state'), WAIT)
        .toBe('synced')
      const text = (await empty.textContent()) ?? ''
      expect(text).toContain(lang === 'en' ? 'publish content in the studio' : 'dans le studio')
      expect(text).not.toMatch(/champions will add|champions ajouteront/)
      const studioButton = page.getByTestId('open-studio')
      expect(await studioButton.textContent()).toBe(
        lang === 'en' ? 'Open studio' : 'Ouvrir le studio',
      )
      const [studio] = await Promise.all([
        page.context().waitForEvent('page'),
        studioButton.click(),
      ])
      await studio.waitForLoadState()
      expect(new URL(studio.url()).hash).toBe('#studio')
      await page.context().close()
    },
  )

  it('an employee sees no Open studio; Settings shows the account, exports my data, leaves and deletes (EN, FR)', async () => {
    const employee = await core()
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
    await employee.client.call('settings.update', { mastodonInstance: 'mastodon.social' })

    const fr = await open(chromium.browser, employee, 'fr')
    await fr.getByTestId('nav-settings').click()
    await fr.getByTestId('account').waitFor(WAIT)
    expect(await fr.getByTestId('open-studio').count()).toBe(0)
    expect(await fr.getByTestId('account-who').textContent()).toBe(
      'Connecté en tant que Eric (collaborateur)',
    )
    expect(await fr.getByTestId('account-workspace').textContent()).toContain('Espace : Acme')
    expect(await fr.getByTestId('account').textContent()).toContain(
      'Conservés ici : vos réglages, votre historique de partages et vos statistiques',
    )
    await fr.context().close()

    const page = await open(chromium.browser, employee, 'en')
    await page.getByTestId('nav-settings').click()
    // A setting changed elsewhere (the studio, another window) is followed live, no reload.
    await page.getByTestId('account').waitFor(WAIT)
    await employee.client.call('settings.update', { language: 'fr', theme: 'dark' })
    await expect.poll(() => page.getByTestId('nav-settings').textContent(), WAIT).toBe('Réglages')
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
    await employee.client.call('settings.update', { language: 'system', theme: 'system' })
    await expect.poll(() => page.getByTestId('nav-settings').textContent(), WAIT).toBe('Settings')
    expect(await page.getByTestId('account-who').textContent()).toBe('Signed in as Eric (employee)')
    expect(await page.getByTestId('account-workspace').textContent()).toContain('Workspace: Acme')

    // Export: a JSON file of what this device holds about me, through the page's download.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('account-export').click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^porte-voix-data-\d{4}-\d{2}-\d{2}\.json$/)
    const file = await download.path()
    const exported = AccountExport.parse(JSON.parse(readFileSync(file, 'utf8')))
    expect(exported.session?.displayName).toBe('Eric')
    expect(exported.settings.mastodonInstance).toBe('mastodon.social')
    expect(readFileSync(file, 'utf8')).not.toMatch(/token/i)
    await page.getByTestId('account-message').waitFor(WAIT)

    // Leave and delete: confirmed first, then the join view says what happened.
    await page.getByTestId('account-delete').click()
    await page.getByTestId('account-confirm').waitFor(WAIT)
    await page.getByTestId('account-confirm-yes').click()
    const notice = page.getByTestId('join-notice')
    await notice.waitFor(WAIT)
    expect(await notice.textContent()).toContain('deleted from this computer')
    // The stack's relay is up: it deleted what it held about Eric too.
    expect(await notice.textContent()).toContain('and from the relay')
    expect((await employee.client.call('settings.get', {})).mastodonInstance).toBeNull()
    expect((await employee.client.call('status.get', {})).session).toBeNull()
    await page.context().close()
  })
})
