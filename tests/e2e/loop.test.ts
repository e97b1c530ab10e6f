/**
 * Close the loop in Chromium (issue 9): a relay with --public-url, the champion's core, the
 * employee's core serving the built popover. The employee shares; a visitor's page opens the short
 * link and lands on a fixture site on 127.0.0.1 (the item's URL) with the four UTM parameters;
 * the click shows in the employee's My stats, and still does with the relay gone.
 */
import { describe, expect, it } from 'vitest'
import { queueSynced } from '../helpers/core'
import { waitFor } from '../helpers/wait'
import { loopStack, openMyStats } from './support'

const WAIT = { timeout: 20_000 }

const started = loopStack('Launch', { championWindows: false })

describe('close the loop (Chromium, real relay with --public-url)', () => {
  it('a visitor follows the short link to the item with UTM parameters; the click shows in My stats, offline too', async () => {
    const { siteUrl, relay, champion, employee, chromium } = started()
    const workspaceId = await relay.createWorkspace('Acme')
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    const item = await champion.client.call('item.create', {
      title: 'Our launch',
      url: `${siteUrl}/launch?ref=blog`,
      objective: 'awareness',
      status: 'published',
      captions: { linkedin: 'Our launch' },
    })
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
    const employeeClient = employee.client
    await queueSynced(employeeClient)
    const share = await employeeClient.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Our launch',
    })
    expect(share.trackedUrl.startsWith(`http://127.0.0.1:${relay.port}/s/`)).toBe(true)

    // The visitor: another browser context, as someone who saw the post.
    const visitor = await chromium.browser.newContext()
    const page = await visitor.newPage()
    const expected = `/launch?ref=blog&utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=evergreen&utm_content=${share.shareId}`
    // The relay learns the item's URL from the queue document just after it is written.
    await waitFor('the visitor lands on the item', async () => {
      await page.goto(share.trackedUrl)
      return page.url() === `${siteUrl}${expected}`
    })
    expect(await page.locator('#landed').textContent()).toBe(expected)
    await visitor.close()

    // The employee's popover: My stats shows the click (fetched when the view opens).
    const { context, popover, reopen } = await openMyStats(chromium, employee.port, WAIT)
    const tileValue = (testId: string) =>
      popover.getByTestId(testId).locator('.tile-value').textContent()
    await expect
      .poll(async () => {
        // Until the fetch is in (a redirect is counted just before it answers).
        await reopen()
        return tileValue('results-clicks')
      }, WAIT)
      .toBe('1')
    // Exact figures (a count of 10 or 21 would not pass): one click, one unique visitor.
    expect(await tileValue('results-unique')).toBe('1')
    const row = popover.locator(`[data-testid="results-by-share"] tr[data-key="${share.shareId}"]`)
    expect(await row.locator('th').textContent()).toContain('Our launch')
    expect(await row.locator('td').allTextContents()).toEqual([
      'LinkedIn',
      '1',
      '1',
      expect.any(String),
    ])

    // The relay goes away: the click is still there after a reload.
    await relay.stop()
    await popover.reload()
    await popover.getByTestId('nav-stats').click()
    await expect.poll(() => tileValue('results-clicks'), WAIT).toBe('1')
    expect(await tileValue('results-unique')).toBe('1')
    await context.close()
  })
})
