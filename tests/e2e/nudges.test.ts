/**
 * Nudges end to end in Chromium, on a compressed clock (the dev host's PORTE_VOIX_CLOCK_SPEED):
 * a nudge planned for the morning appears in the popover page at its time, Later snoozes it (nothing
 * until the snooze ends, then the item may come back once), clicking it opens the item, the host
 * records it in notifications.jsonl, and My stats shows the audience heatmap. A second core holds a
 * click history on my shares and My stats shows the learned peak, in English and French.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Nudge } from '../../common/contract/api'
import { newShareId } from '../../common/share'
import { ResultsStore } from '../../main/core/results/results-store'
import { ShareStore } from '../../main/core/shares/share-store'
import { databasePath, openDatabase } from '../../main/core/store/database'
import { launchChromium, type TestBrowser } from '../helpers/browser'
import {
  type CoreProcess,
  fakeInvitation,
  publishItem,
  queueSynced,
  startCore,
} from '../helpers/core'
import { FIREFOX, followShortLink, LINKEDIN_BOT } from '../helpers/landing'
import { removeTempDir, tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'
import { waitFor } from '../helpers/wait'

const WAIT = { timeout: 30_000 }

describe('nudges in the popover (Chromium, compressed clock)', () => {
  let chromium: TestBrowser
  let core: CoreProcess

  beforeAll(async () => {
    const saved = { ...process.env }
    // 10 minutes of clock time per real second, from Monday 2 March 2026, 06:00 in Paris.
    process.env.PORTE_VOIX_CLOCK_SPEED = '600'
    process.env.PORTE_VOIX_CLOCK_START = '2026-03-02T05:00:00Z'
    try {
      ;[core, chromium] = await Promise.all([
        startCore({ args: ['--static', rendererDir()] }),
        launchChromium(),
      ])
    } finally {
      for (const key of ['PORTE_VOIX_CLOCK_SPEED', 'PORTE_VOIX_CLOCK_START']) {
        if (saved[key] === undefined) delete process.env[key]
        else process.env[key] = saved[key]
      }
    }
  })

  afterAll(async () => {
    await chromium?.close()
    await core?.stop()
  })

  it('shows the nudge at its time, Later snoozes it, opens the item on click, and shows the heatmap', async () => {
    await core.client.call('workspace.join', { invitation: fakeInvitation({ role: 'champion' }) })
    // Two LinkedIn nudges a day and no gap, so the snoozed item can come back the same morning.
    await core.client.call('settings.update', {
      timeZone: 'Europe/Paris',
      networks: ['linkedin'],
      nudges: { workingDays: [0, 1, 2, 3, 4], caps: { linkedin: 2 }, minGapMinutes: 0 },
    })
    const shown: Nudge[] = []
    core.client.on('nudge.show', (nudge) => {
      shown.push(nudge)
    })
    const context = await chromium.browser.newContext({ viewport: { width: 380, height: 580 } })
    const page = await context.newPage()
    await page.goto(`http://127.0.0.1:${core.port}/index.html`)
    await page.getByTestId('nav-queue').waitFor(WAIT)
    await core.client.call('item.create', {
      title: 'Our spring report',
      url: 'https://example.com/spring-report',
      objective: 'awareness',
      status: 'published',
    })
    const banner = page.getByTestId('nudge-banner')
    await banner.waitFor(WAIT)
    expect(await banner.textContent()).toContain('Our spring report')
    const recorded = await waitFor('the nudge in notifications.jsonl', () => {
      try {
        return readFileSync(path.join(core.dataDir, 'notifications.jsonl'), 'utf8').trim()
      } catch {
        return null
      }
    })
    const nudge = JSON.parse(recorded.split('\n')[0] ?? '{}') as { at: string; title: string }
    expect(nudge.title).toBe('Our spring report')
    // Planned in the morning, Paris time, on the Monday.
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    }).format(new Date(nudge.at))
    expect(local).toMatch(/^Mon (0[6-9]|1[0-3]):/)

    // Later: the banner goes, and nothing comes before the snooze ends (an hour of clock time).
    await page.getByTestId('nudge-later').click()
    await banner.waitFor({ state: 'detached', ...WAIT })
    const snoozed = await core.client.call('nudge.preview', {})
    expect(snoozed.snoozedUntil).not.toBeNull()
    const until = Date.parse(snoozed.snoozedUntil ?? '')
    expect(until).toBeGreaterThan(Date.parse(nudge.at))
    // The next planned nudge (the same item, once more) is not before the snooze's end.
    if (snoozed.next) expect(Date.parse(snoozed.next.at)).toBeGreaterThanOrEqual(until)
    await waitFor('the snooze to end', async () =>
      (await core.client.call('nudge.preview', {})).snoozedUntil === null ? true : null,
    )
    // Then the item may come back, once: it does here (cap 2, no gap), never inside the snooze.
    await banner.waitFor({ timeout: 120_000 })
    expect(shown.length).toBeGreaterThanOrEqual(2)
    for (const later of shown.slice(1)) expect(Date.parse(later.at)).toBeGreaterThanOrEqual(until)
    expect(shown.map((n) => n.itemId)).toEqual([shown[0]?.itemId, shown[0]?.itemId])
    await page.getByTestId('nudge-open').click()
    await page.getByTestId('item-title').waitFor(WAIT)
    expect(await page.getByTestId('item-title').textContent()).toContain('Our spring report')
    await page.getByTestId('nav-stats').click()
    await page.getByTestId('heatmap-linkedin').waitFor(WAIT)
    expect(await page.getByTestId('heatmap-linkedin').locator('td').count()).toBe(7 * 24)
    await context.close()
  })
})

/** Instants of the last `weeks` Thursdays at 20:00–20:45 UTC before `now`, four clicks each. */
function thursdayEvenings(now: number, weeks: number): string[] {
  const DAY = 86_400_000
  const today = new Date(now)
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())
  // getUTCDay: 4 = Thursday; the latest Thursday strictly before today.
  const back = (today.getUTCDay() - 4 + 7) % 7 || 7
  const out: string[] = []
  for (let w = 0; w < weeks; w++) {
    const thursday = midnight - (back + 7 * w) * DAY
    for (const minute of [0, 10, 25, 40])
      out.push(new Date(thursday + (20 * 60 + minute) * 60_000).toISOString())
  }
  return out
}

describe("the heatmap shows the curve learned from my shares' clicks (Chromium)", () => {
  let chromium: TestBrowser
  let core: CoreProcess
  const dataDir = tempDir('porte-voix-nudges-learned-')
  const owner = { workspaceId: 'ws_offline', memberId: 'mem_employee' }

  beforeAll(async () => {
    // Join first (the core owns its session), then give my shares a click history.
    const first = await startCore({ dataDir })
    await first.client.call('workspace.join', { invitation: fakeInvitation({ role: 'employee' }) })
    await first.client.call('settings.update', { timeZone: 'UTC', networks: ['linkedin'] })
    await first.stop()
    // The relay's /s/ redirects count clicks on the relay; the core learns them through
    // results/mine, which ResultsFetcher stores with ResultsStore.replace. Without a relay
    // reachable from this test, the history goes in through that same store API.
    const db = openDatabase({ file: databasePath(dataDir) })
    try {
      const shares = new ShareStore(db)
      const results = new ResultsStore(db)
      const clicks = thursdayEvenings(Date.now(), 6)
      const ids: string[] = []
      for (const [i, at] of clicks.entries()) {
        if (i % 4 !== 0) continue
        const id = newShareId()
        const sharedAt = new Date(Date.parse(at) - 3_600_000).toISOString()
        shares.recordShare(
          owner,
          {
            id,
            itemId: `item_${i}`,
            network: 'linkedin',
            objective: 'awareness',
            campaignId: null,
            sharedAt,
          },
          sharedAt,
        )
        shares.markDelivered([id], sharedAt)
        ids.push(id)
      }
      results.replace(
        ids,
        {
          clicks: clicks.map((at, i) => ({
            shareId: ids[Math.floor(i / 4)] ?? '',
            at,
            unique: true,
          })),
          conversions: [],
        },
        new Date(),
      )
    } finally {
      db.close()
    }
    ;[core, chromium] = await Promise.all([
      startCore({ dataDir, args: ['--static', rendererDir()] }),
      launchChromium(),
    ])
  })

  afterAll(async () => {
    await chromium?.close()
    await core?.stop()
    removeTempDir(dataDir)
  })

  it('puts the peak cells on Thursday 20:00 and names that peak, in English and French', async () => {
    const context = await chromium.browser.newContext({ viewport: { width: 380, height: 580 } })
    const page = await context.newPage()
    await page.goto(`http://127.0.0.1:${core.port}/index.html`)
    await page.getByTestId('nav-stats').click()
    const heatmap = page.getByTestId('heatmap-linkedin')
    await heatmap.waitFor(WAIT)
    const peaks = async () =>
      heatmap
        .locator('tr')
        .evaluateAll((rows) =>
          rows.flatMap((row, day) =>
            [...row.querySelectorAll('td')].flatMap((cell, hour) =>
              cell.getAttribute('data-level') === '4' ? [`${day}:${hour}`] : [],
            ),
          ),
        )
    // Only Thursday (3, Monday first) evening cells at the top level, 20:00 among them.
    const top = await peaks()
    expect(top).toContain('3:20')
    expect(top.every((cell) => /^3:(19|20|21)$/.test(cell))).toBe(true)
    const caption = heatmap.locator('figcaption')
    // The "why" names Thursday and a window holding the clicks (20:00–20:40, smoothed a little).
    const covers = (text: string | null, pattern: RegExp) => {
      const match = pattern.exec(text ?? '')
      if (!match) return `no match in "${text}"`
      const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))
      const from = minutes(match[1] ?? '')
      const to = minutes(match[2] ?? '')
      return from <= 20 * 60 && to >= 20 * 60 + 40 && to - from <= 3 * 60 ? 'covers' : text
    }
    expect(
      covers(
        await caption.textContent(),
        /Your LinkedIn audience clicks most on Thursdays (\d\d:\d\d)–(\d\d:\d\d)\./,
      ),
    ).toBe('covers')

    await core.client.call('settings.update', { language: 'fr' })
    await page.waitForFunction(
      () =>
        document
          .querySelector('[data-testid="heatmap-linkedin"] figcaption')
          ?.textContent?.includes('Votre audience'),
      undefined,
      WAIT,
    )
    expect(
      covers(
        await caption.textContent(),
        /Votre audience LinkedIn clique surtout le jeudi de (\d\d:\d\d) à (\d\d:\d\d)\./,
      ),
    ).toBe('covers')
    expect(await peaks()).toEqual(top)
    await context.close()
  })
})

describe('the heatmap learns from clicks on my short links through a real relay (Chromium)', () => {
  const PUBLIC = 'http://go.porte-voix.test'
  let relay: RelayProcess | undefined
  let champion: CoreProcess | undefined
  let employee: CoreProcess | undefined
  let chromium: TestBrowser | undefined

  afterAll(async () => {
    await chromium?.close()
    await employee?.stop()
    await champion?.stop()
    await relay?.stop()
  })

  it('shows the hour my audience clicked as the peak, and names it', async () => {
    relay = await startRelay({ args: ['--public-url', PUBLIC] })
    const workspaceId = await relay.createWorkspace('Acme')
    ;[champion, employee, chromium] = await Promise.all([
      startCore(),
      startCore(),
      launchChromium(),
    ])
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    const item = await publishItem(champion.client, 'Launch')
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
    await employee.client.call('settings.update', { timeZone: 'UTC', networks: ['linkedin'] })
    await queueSynced(employee.client)
    const share = await employee.client.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Our launch',
    })
    expect(share.trackedUrl.startsWith(`${PUBLIC}/s/`)).toBe(true)
    const link = `${relay.httpUrl}/s/${share.trackedUrl.slice(`${PUBLIC}/s/`.length)}`
    const follow = async (ua: string) => (await followShortLink(link, ua)).status
    // The relay learns the item's URL from the queue document; a preview bot is never counted.
    await waitFor('the relay redirects', async () =>
      (await follow(LINKEDIN_BOT)) === 302 ? true : null,
    )
    const clickedAt = Date.now()
    for (let i = 0; i < 10; i++) expect(await follow(FIREFOX)).toBe(302)
    // A restarted core fetches my results as soon as it is connected again.
    const dataDir = employee.dataDir
    await employee.stop()
    employee = await startCore({ dataDir, args: ['--static', rendererDir()] })
    const restarted = employee
    await waitFor('my clicks fetched', async () =>
      (await restarted.client.call('results.mine', {})).totals.clicks === 10 ? true : null,
    )

    const context = await chromium.browser.newContext({ viewport: { width: 380, height: 580 } })
    const page = await context.newPage()
    await page.goto(`http://127.0.0.1:${employee.port}/index.html`)
    await page.getByTestId('nav-stats').click()
    const heatmap = page.getByTestId('heatmap-linkedin')
    await heatmap.waitFor(WAIT)
    const top = await heatmap
      .locator('tr')
      .evaluateAll((rows) =>
        rows.flatMap((row, day) =>
          [...row.querySelectorAll('td')].flatMap((cell, hour) =>
            cell.getAttribute('data-level') === '4' ? [day * 24 + hour] : [],
          ),
        ),
      )
    // The clicks' hour (UTC, Monday first) is at the top, with at most its neighbours.
    const at = new Date(clickedAt)
    const clickedCell = ((at.getUTCDay() + 6) % 7) * 24 + at.getUTCHours()
    const near = (cell: number) =>
      Math.min(Math.abs(cell - clickedCell), 168 - Math.abs(cell - clickedCell))
    expect(top.some((cell) => near(cell) === 0 || near(cell) === 1)).toBe(true)
    expect(top.every((cell) => near(cell) <= 1)).toBe(true)
    // The peak is named by the day its window starts: clicks just after midnight give a window
    // that starts the day before (e.g. "Tuesdays 23:15–00:45" for clicks at 00:10 on a Wednesday).
    const weekday = (date: Date) =>
      new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: 'UTC' }).format(date)
    const days = new Set([weekday(at), weekday(new Date(clickedAt - 90 * 60_000))])
    const caption = (await heatmap.locator('figcaption').textContent()) ?? ''
    expect(
      [...days].some((day) => caption.includes(`Your LinkedIn audience clicks most on ${day}s `)),
      caption,
    ).toBe(true)
    await context.close()
  })
})
