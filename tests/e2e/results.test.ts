/**
 * Issue 9's acceptance in Chromium, against a real relay with --public-url and two real cores
 * serving the built windows: an employee shares an item of a campaign; a visitor follows the
 * short link to a fixture site on 127.0.0.1 with the four UTM parameters (twice: one unique
 * click); a preview bot's fetch is not counted; the clicks show in the employee's My stats and in
 * the champion's results view; a conversion key created in the studio counts a sign-up once (a
 * wrong key is refused with 401 and counts nothing, a repeated idempotency id counts once), which
 * moves the campaign's progress in the studio and the popover; the CSV export holds the figures
 * on screen; My stats still shows the clicks with the relay gone; the new views are axe clean.
 */
import { readFileSync } from 'node:fs'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { campaignSlug } from '../../common/share/tracked-link'
import { parseCsv } from '../../renderer/src/studio/csv'
import { newContext } from '../helpers/browser'
import { queueSynced } from '../helpers/core'
import { followShortLink, LINKEDIN_BOT } from '../helpers/landing'
import { waitFor } from '../helpers/wait'
import { loopStack, openMyStats } from './support'

const WAIT = { timeout: 30_000 }

const started = loopStack('Talent', { championWindows: true })

/** Digits of a figure as shown ("1,234" / "1 234" → 1234). */
const figure = (text: string | null) => Number((text ?? '').replace(/[^\d]/g, ''))

/** The cells of a results table's row, as text (the row header first). */
async function rowCells(page: Page, table: string, key: string): Promise<string[]> {
  return page
    .getByTestId(table)
    .locator(`tr[data-key="${key}"]`)
    .locator('th, td')
    .allTextContents()
}

async function axeViolations(page: Page, view: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${view}: ${v.id} ×${v.nodes.length} ${v.nodes[0]?.target.join(' ') ?? ''}`)
}

describe('results, conversions and recognition end to end (Chromium, real relay)', () => {
  it('clicks and a sign-up reach My stats, the results view, the campaign progress and the CSV', async () => {
    const { siteUrl, relay, champion, employee, chromium } = started()
    const relayUrl = `http://127.0.0.1:${relay.port}`
    const workspaceId = await relay.createWorkspace('Acme')
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })

    // The champion creates the campaign in the studio, its progress counting sign-ups.
    const studioContext = await newContext(chromium.browser, {
      origin: `http://127.0.0.1:${champion.port}`,
    })
    await studioContext.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: `http://127.0.0.1:${champion.port}`,
    })
    const studio = await studioContext.newPage()
    await studio.setViewportSize({ width: 1280, height: 900 })
    await studio.goto(`http://127.0.0.1:${champion.port}/index.html#studio`)
    await studio.getByTestId('studio').waitFor(WAIT)
    await studio.getByTestId('nav-campaigns').click()
    await studio.getByRole('button', { name: /New campaign/ }).click()
    const form = studio.getByTestId('campaign-form')
    await form.getByLabel('Name').fill('Talent week')
    await studio.getByTestId('campaign-goal-kind').selectOption('conversions')
    await form.getByLabel('Goal metric (what is counted)').fill('confirmed sign-ups')
    await form.getByLabel('Target').fill('10')
    const deadline = new Date(Date.now() + 9 * 86_400_000)
    const pad = (n: number) => String(n).padStart(2, '0')
    await form
      .getByLabel('Deadline')
      .fill(
        `${deadline.getFullYear()}-${pad(deadline.getMonth() + 1)}-${pad(deadline.getDate())}T18:00`,
      )
    await form.getByRole('button', { name: 'Create campaign' }).click()
    await studio.getByTestId('campaign-card').waitFor(WAIT)
    const championClient = champion.client
    const [campaign] = await championClient.call('campaign.list', {})
    if (!campaign) throw new Error('the campaign was not created')
    expect(campaign.goalKind).toBe('conversions')

    // Recognition settings in the studio: CPC/CPM for the earned media value, and a challenge.
    await studio.getByTestId('nav-recognition').click()
    await studio.getByTestId('value-currency').fill('EUR')
    await studio.getByTestId('value-cpc').fill('2')
    await studio.getByTestId('value-cpm').fill('10')
    await studio.getByTestId('value-save').click()
    await studio.getByTestId('value-form').getByRole('status').waitFor(WAIT)
    await studio.getByTestId('challenge-new').click()
    await studio.getByTestId('challenge-name').fill('Talent month')
    await studio.getByTestId('challenge-metric').selectOption('shares')
    await studio.getByTestId('challenge-form').getByLabel('Objective').selectOption('talent')
    await studio
      .getByTestId('challenge-form')
      .getByRole('button', { name: 'Create challenge' })
      .click()
    await studio.getByTestId('challenge-card').waitFor(WAIT)
    const [challenge] = await championClient.call('challenge.list', {})
    expect(challenge?.filter).toEqual({ objective: 'talent' })
    expect((await championClient.call('workspace.settings.get', {})).value).toEqual({
      currency: 'EUR',
      cpc: 2,
      cpm: 10,
    })

    const item = await championClient.call('item.create', {
      title: 'We are hiring, engineers',
      url: `${siteUrl}/jobs?team=core`,
      objective: 'talent',
      status: 'published',
      campaignId: campaign.id,
      captions: { linkedin: 'Join us' },
    })
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
    const employeeClient = employee.client
    const employeeId = (await employeeClient.call('status.get', {})).session?.memberId ?? ''
    await employeeClient.call('settings.update', { leaderboardOptIn: true })
    await queueSynced(employeeClient, 1, { timeoutMs: 30_000 })
    const share = await employeeClient.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Join us',
    })
    expect(share.trackedUrl.startsWith(`${relayUrl}/s/`)).toBe(true)

    // A link-preview fetcher follows the link and is not counted.
    await waitFor(
      'the relay redirects the new share',
      async () => {
        const bot = await followShortLink(share.trackedUrl, LINKEDIN_BOT)
        return bot.status >= 300 && bot.status < 400 && bot.location?.startsWith(siteUrl)
      },
      { timeoutMs: 30_000 },
    )

    // The visitor, twice from the same browser: two clicks, one unique.
    const visitor = await chromium.browser.newContext()
    const page = await visitor.newPage()
    const expected = `/jobs?team=core&utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=${campaignSlug(campaign.name)}&utm_content=${share.shareId}`
    await page.goto(share.trackedUrl)
    expect(page.url()).toBe(`${siteUrl}${expected}`)
    expect(await page.locator('#landed').textContent()).toBe(expected)
    await page.goto(share.trackedUrl)
    expect(page.url()).toBe(`${siteUrl}${expected}`)
    await visitor.close()

    // The employee's My stats: 2 clicks, 1 unique (the bot not counted).
    const {
      context: popoverContext,
      popover,
      reopen,
    } = await openMyStats(chromium, employee.port, WAIT)
    await expect
      .poll(async () => {
        await reopen()
        return figure(await popover.getByTestId('results-clicks').textContent())
      }, WAIT)
      .toBe(2)
    expect(figure(await popover.getByTestId('results-unique').textContent())).toBe(1)
    // Earned media value: 2 clicks × €2 (no audience entered: no impressions).
    await expect
      .poll(() => popover.getByTestId('results-emv').textContent(), WAIT)
      .toContain('Earned media value: €4.00')
    // My points by the default weights: one share (10) and one unique click (1); opted in, a rank.
    await popover.getByTestId('my-recognition').waitFor(WAIT)
    const points = () => popover.getByTestId('points-month').locator('.tile-value').textContent()
    await expect.poll(points, WAIT).toBe('11')
    // Opted in: my standing in the talent challenge (one share of a talent item) and the team's.
    await expect
      .poll(() => popover.getByTestId('my-challenges').textContent(), WAIT)
      .toContain('Me: 1 · the team: 1 · my rank: 1')
    await expect
      .poll(() => popover.getByTestId('my-rank').locator('.tile-value').textContent(), WAIT)
      .toBe('1')

    // The champion's results view: the board (written by the relay, synced) has the clicks.
    await studio.getByTestId('nav-results').click()
    await studio.getByTestId('results-view').waitFor(WAIT)
    await expect
      .poll(async () => (await rowCells(studio, 'results-items', item.id)).slice(1, 5), WAIT)
      .toEqual(['1', '2', '1', '0'])
    expect((await rowCells(studio, 'results-items', item.id))[0]).toBe(item.title)
    expect((await rowCells(studio, 'results-networks', 'linkedin')).slice(1, 5)).toEqual([
      '1',
      '2',
      '1',
      '0',
    ])
    expect((await rowCells(studio, 'results-objectives', 'talent')).slice(1, 5)).toEqual([
      '1',
      '2',
      '1',
      '0',
    ])
    // The comparison charts show the same figures: LinkedIn 1 share and 2 clicks; talent 2 per share.
    const bars = (chart: string, key: string) =>
      studio.getByTestId(chart).locator(`g[data-key="${key}"] .bar-value`).allTextContents()
    expect(await bars('chart-networks', 'linkedin')).toEqual(['1', '2'])
    expect(await bars('chart-objectives', 'talent')).toEqual(['2'])
    // The employee opted in: on the leaderboard by name.
    await expect
      .poll(async () => (await rowCells(studio, 'results-leaderboard', employeeId))[0], WAIT)
      .toBe('Eric')
    // Its points are the ones the employee's device counted.
    expect((await rowCells(studio, 'results-leaderboard', employeeId)).slice(1, 3)).toEqual([
      '1',
      '11',
    ])
    // The challenge's standings: Eric with one share of a talent item.
    if (!challenge) throw new Error('no challenge')
    await expect
      .poll(
        async () =>
          (await rowCells(studio, `results-challenge-${challenge.id}`, employeeId)).slice(0, 3),
        WAIT,
      )
      .toEqual(['Eric', '1', '1'])
    // Counts beside the item in the studio's list.
    await studio.getByTestId('nav-items').click()
    await expect
      .poll(() => studio.getByTestId('item-counts').first().textContent(), WAIT)
      .toBe('1 share · 2 clicks')

    // A conversion key, created in the studio and shown once with its endpoint.
    await studio.getByTestId('nav-campaigns').click()
    await studio.getByTestId('conversion-key-create').click()
    const key = await studio.getByTestId('conversion-key-value').inputValue()
    const endpoint = (await studio.getByTestId('conversion-key-endpoint').textContent()) ?? ''
    expect(key.length).toBeGreaterThanOrEqual(8)
    expect(endpoint).toBe(`${relayUrl}/api/v1/conversions`)
    await studio.getByTestId('conversion-key-copy').click()
    expect(await studio.evaluate(() => navigator.clipboard.readText())).toBe(key)

    const post = (withKey: string, idempotencyId: string) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-porte-voix-conversion-key': withKey },
        body: JSON.stringify({
          idempotencyId,
          utmContent: share.shareId,
          kind: 'sign-up',
          value: 1,
        }),
      })
    const wrong = await post(`${key.slice(0, -2)}xx`, 'signup-wrong')
    expect(wrong.status).toBe(401)
    const first = await post(key, 'signup-1')
    expect(first.status).toBeLessThan(300)
    const again = await post(key, 'signup-1')
    expect(again.status).toBeLessThan(300)

    // Progress moves to 1 of 10 in the studio's campaign card (the wrong key and the repeat
    // counted nothing) and in the popover's item view.
    const card = studio.getByTestId('campaign-card')
    await expect
      .poll(() => card.getByTestId('campaign-progress-value').textContent(), WAIT)
      .toBe('1 of 10 sign-ups / conversions')
    expect(await card.getByTestId('campaign-pace').textContent()).toMatch(/^1 per day needed by /)
    await popover.getByTestId('nav-queue').click()
    await popover.getByTestId('queue-item').first().click()
    await expect
      .poll(() => popover.getByTestId('campaign-progress-value').textContent(), WAIT)
      .toBe('1 of 10 sign-ups')

    // The results view: the sign-up counted once; each table's CSV holds what the screen shows.
    await studio.getByTestId('nav-results').click()
    await expect
      .poll(async () => (await rowCells(studio, 'results-items', item.id)).slice(1, 5), WAIT)
      .toEqual(['1', '2', '1', '1'])
    await expect
      .poll(async () => (await rowCells(studio, 'results-campaigns', campaign.id))[2], WAIT)
      .toBe('1')
    await studio.getByTestId('pace-chart').first().waitFor(WAIT)
    for (const table of [
      'results-items',
      'results-networks',
      'results-campaigns',
      'results-leaderboard',
    ]) {
      const [download] = await Promise.all([
        studio.waitForEvent('download'),
        studio.getByTestId(`${table}-csv`).click(),
      ])
      const path = await download.path()
      const rows = parseCsv(readFileSync(path, 'utf8'))
      const header = await studio.getByTestId(table).locator('thead th').allTextContents()
      expect(rows[0]).toEqual(header.slice(0, rows[0]?.length))
      const screen = await studio
        .getByTestId(table)
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent ?? '')),
        )
      expect(rows.length - 1).toBe(screen.length)
      rows.slice(1).forEach((row, r) => {
        row.forEach((cell, c) => {
          const shown = screen[r]?.[c] ?? ''
          if (/^-?\d+(\.\d+)?$/.test(cell)) expect(figure(shown)).toBe(figure(cell))
          else expect(shown).toBe(cell)
        })
      })
      await download.delete()
    }

    // Axe on the new views with figures in them.
    const found = [...(await axeViolations(studio, 'studio results'))]
    await studio.getByTestId('nav-recognition').click()
    await studio.getByTestId('points-form').waitFor(WAIT)
    found.push(...(await axeViolations(studio, 'studio recognition')))
    await popover.getByTestId('nav-stats').click()
    await popover.getByTestId('my-recognition').waitFor(WAIT)
    found.push(...(await axeViolations(popover, 'popover stats')))
    expect(found).toEqual([])

    // In French, the same view.
    await championClient.call('settings.update', { language: 'fr' })
    await studio.getByTestId('nav-results').click()
    await expect.poll(() => studio.getByTestId('nav-results').textContent(), WAIT).toBe('Résultats')
    expect(await studio.getByTestId('results-items-csv').textContent()).toBe('Exporter en CSV')
    expect(
      await studio
        .getByTestId('campaign-pace-card')
        .getByTestId('campaign-progress-value')
        .textContent(),
    ).toBe('1 sur 10 inscriptions / conversions')

    // The relay goes away: My stats still shows the clicks.
    await relay.stop()
    await popover.reload()
    await popover.getByTestId('nav-stats').click()
    await expect
      .poll(async () => figure(await popover.getByTestId('results-clicks').textContent()), WAIT)
      .toBe(2)
    await Promise.all([studioContext.close(), popoverContext.close()])
  })
})
