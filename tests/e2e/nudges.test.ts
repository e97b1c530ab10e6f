/**
 * Nudges end to end in Chromium, on a compressed clock (the dev host's PORTE_VOIX_CLOCK_SPEED):
 * a nudge planned for the morning appears in the popover page at its time, clicking it opens the
 * item, the host records it in notifications.jsonl, and My stats shows the audience heatmap.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, type TestBrowser } from '../helpers/browser'
import { type CoreProcess, fakeInvitation, startCore } from '../helpers/core'
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

  it('shows the nudge at its time, opens the item on click, and shows the heatmap', async () => {
    await core.client.call('workspace.join', { invitation: fakeInvitation({ role: 'champion' }) })
    await core.client.call('settings.update', { timeZone: 'Europe/Paris', networks: ['linkedin'] })
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
    await page.getByTestId('nudge-open').click()
    await page.getByTestId('item-title').waitFor(WAIT)
    expect(await page.getByTestId('item-title').textContent()).toContain('Our spring report')
    await page.getByTestId('nav-stats').click()
    await page.getByTestId('heatmap-linkedin').waitFor(WAIT)
    expect(await page.getByTestId('heatmap-linkedin').locator('td').count()).toBe(7 * 24)
    await context.close()
  })
})
