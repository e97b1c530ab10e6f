/**
 * The champion studio end to end, in Debian's Chromium: a real relay, three core hosts serving
 * the built renderer (champions Alice and Bob, employee Eve). Two studio pages co-edit the same
 * caption in the same word; Alice's core loses its network (a TCP proxy in front of the relay is
 * cut) while Bob keeps editing; proposals are approved with an edit or rejected with a reason;
 * Eve's studio page is refused and her window's writes go nowhere.
 */
import { mkdirSync } from 'node:fs'
import net from 'node:net'
import { join, resolve } from 'node:path'
import * as encoding from 'lib0/encoding'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as syncProtocol from 'y-protocols/sync'
import type { CoreClient } from '../../common/contract/client'
import { toBase64 } from '../../common/contract/messages'
import { WindowReplica } from '../../common/contract/replica'
import { captionText, itemsMap } from '../../common/doc/queue-doc'
import { file, startFixtureServer } from '../feeds/fixture-server'
import { launchChromium, newContext, type TestBrowser } from '../helpers/browser'
import { type CoreProcess, startCore } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'
import { openReplica } from '../helpers/replica'
import { waitFor } from '../helpers/wait'
import { openStudioItem } from './support'

const ROOT = resolve(import.meta.dirname, '..', '..')
const RESULTS = join(ROOT, 'test-results')
const WAIT = { timeout: 20_000 }

/**
 * A TCP proxy in front of the relay: cutting it is a network outage for the cores behind it
 * (the relay and the other cores keep running).
 */
async function startProxy(targetPort: number) {
  const sockets = new Set<net.Socket>()
  let up = true
  const server = net.createServer((client) => {
    if (!up) {
      client.destroy()
      return
    }
    const upstream = net.connect(targetPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    cut() {
      up = false
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      up = true
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => done())
      }),
  }
}

/** The invitation with its relay address replaced (the token stays valid: it names no host). */
function through(link: string, relayUrl: string): string {
  const url = new URL(link)
  url.searchParams.set('relay', relayUrl)
  return url.toString()
}

type Cspy = { violations: string[] }

async function studioPage(
  context: BrowserContext,
  core: CoreProcess,
  prepare?: (page: Page) => Promise<void>,
): Promise<Page> {
  const page = await context.newPage()
  await prepare?.(page)
  await page.setViewportSize({ width: 1360, height: 860 })
  // Any CSP violation (e.g. an inline style) is recorded, and asserted absent at the end.
  await page.addInitScript(() => {
    const w = window as unknown as Cspy
    w.violations = []
    document.addEventListener('securitypolicyviolation', (event) => {
      w.violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`)
    })
  })
  await page.goto(`http://127.0.0.1:${core.port}/index.html#studio`)
  return page
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as Cspy).violations)
}

/** The text of a CodeMirror editor as the page shows it, without colleagues' caret labels. */
async function editorText(page: Page, testId: string): Promise<string> {
  return page.getByTestId(testId).evaluate((content) =>
    [...content.querySelectorAll(':scope > .cm-line')]
      .map((line) => {
        const copy = line.cloneNode(true) as HTMLElement
        for (const widget of copy.querySelectorAll('.cm-ySelectionCaret')) widget.remove()
        return copy.textContent ?? ''
      })
      .join('\n'),
  )
}

/** Put the caret at the end of an editor's text. */
async function caretToEnd(page: Page, testId: string): Promise<void> {
  await page.getByTestId(testId).click()
  await page.keyboard.press('Control+End')
}

function isSubsequence(needle: string, haystack: string): boolean {
  let i = 0
  for (const char of haystack) if (char === needle[i]) i++
  return i === needle.length
}

describe('champion studio in Chromium', () => {
  let relay: RelayProcess
  let proxy: Awaited<ReturnType<typeof startProxy>>
  let browser: TestBrowser
  let alice: CoreProcess
  let bob: CoreProcess
  let eve: CoreProcess
  let pageA: Page
  let pageB: Page
  let workspaceId: string
  const contexts: BrowserContext[] = []

  async function context(core: CoreProcess) {
    const created = await newContext(browser.browser, { origin: `http://127.0.0.1:${core.port}` })
    contexts.push(created)
    return created
  }

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true })
    relay = await startRelay()
    proxy = await startProxy(relay.port)
    workspaceId = await relay.createWorkspace('Acme Studio')
    const args = ['--static', rendererDir()]
    ;[alice, bob, eve, browser] = await Promise.all([
      startCore({ args }),
      startCore({ args }),
      startCore({ args }),
      launchChromium(),
    ])
    const invite = (name: string, role: 'champion' | 'employee') =>
      relay.invite({ workspaceId, name, role })
    await Promise.all([
      alice.client.call('workspace.join', {
        // Alice reaches the relay through the proxy, so the test can cut her network.
        invitation: through(
          await invite('Alice Martin', 'champion'),
          `ws://127.0.0.1:${proxy.port}`,
        ),
      }),
      bob.client.call('workspace.join', { invitation: await invite('Bob Durand', 'champion') }),
      eve.client.call('workspace.join', { invitation: await invite('Eve Leroy', 'employee') }),
    ])
    pageA = await studioPage(await context(alice), alice)
    pageB = await studioPage(await context(bob), bob)
    await Promise.all([
      pageA.getByTestId('studio').waitFor(WAIT),
      pageB.getByTestId('studio').waitFor(WAIT),
    ])
  }, 90_000)

  afterAll(async () => {
    for (const created of contexts) await created.close().catch(() => {})
    await browser?.close()
    await Promise.all([alice?.stop(), bob?.stop(), eve?.stop()])
    await proxy?.close()
    await relay?.stop()
  })

  it('two pages type into the same word at once: same text, every keystroke, named cursors', async () => {
    const item = await alice.client.call('item.create', {
      title: 'Q3 launch event',
      url: 'https://example.com/q3-launch',
      objective: 'campaign',
      status: 'published',
      topics: ['launch'],
      captions: { linkedin: 'Join us for the ' },
      why: 'Our biggest launch of the year.',
    })
    await Promise.all([openStudioItem(pageA, item.title), openStudioItem(pageB, item.title)])
    const editor = 'caption-linkedin'
    await Promise.all([
      pageA.getByTestId(editor).waitFor(WAIT),
      pageB.getByTestId(editor).waitFor(WAIT),
    ])
    await caretToEnd(pageA, editor)
    await caretToEnd(pageB, editor)

    // Both carets at the end of the same word being written; keystrokes alternate between pages.
    const typedA = 'launchday'
    const typedB = 'WEBINAR'
    for (let i = 0; i < Math.max(typedA.length, typedB.length); i++) {
      const a = typedA[i]
      const b = typedB[i]
      if (a) await pageA.keyboard.type(a)
      if (b) await pageB.keyboard.type(b)
    }
    const [finalA, finalB] = await waitFor(
      'both pages converge',
      async () => {
        const [a, b] = await Promise.all([editorText(pageA, editor), editorText(pageB, editor)])
        return a === b && a.length === 'Join us for the '.length + typedA.length + typedB.length
          ? [a, b]
          : undefined
      },
      { timeoutMs: 20_000 },
    )
    expect(finalA).toBe(finalB)
    expect(finalA.startsWith('Join us for the ')).toBe(true)
    const word = finalA.slice('Join us for the '.length)
    expect(isSubsequence(typedA, word)).toBe(true)
    expect(isSubsequence(typedB, word)).toBe(true)
    console.log(`[studio] interleaved result: "${finalA}"`)

    // Each sees the other's caret, labelled with the other's name.
    await expect
      .poll(() => pageA.locator('.cm-ySelectionInfo').allTextContents(), WAIT)
      .toContain('Bob Durand')
    await expect
      .poll(() => pageB.locator('.cm-ySelectionInfo').allTextContents(), WAIT)
      .toContain('Alice Martin')
    // The preview shows the caption as text, with the network's limit.
    await expect.poll(() => pageA.getByTestId('preview-linkedin').textContent(), WAIT).toBe(finalA)
    expect(await pageA.getByTestId('counter-linkedin').textContent()).toMatch(/\/ 3,000/)

    // The employee's core receives the result, in its queue and its SQLite file.
    await waitFor('employee core has the co-edited caption', async () => {
      const got = await eve.client.call('item.get', { id: item.id })
      return got.captions.linkedin === finalA
    })
    expect(readQueueTable(eve.dataDir).find((row) => row.id === item.id)?.captions.linkedin).toBe(
      finalA,
    )
    // CodeMirror is styled (its base theme arrives through constructable stylesheets).
    expect(
      await pageA
        .locator('.cm-editor')
        .first()
        .evaluate((el) => getComputedStyle(el).display),
    ).toBe('flex')
    await pageA.screenshot({ path: join(RESULTS, 'studio-coedit-alice.png') })
    await pageB.screenshot({ path: join(RESULTS, 'studio-coedit-bob.png') })

    await pageB.emulateMedia({ colorScheme: 'dark' })
    await pageB.screenshot({ path: join(RESULTS, 'studio-coedit-bob-dark.png') })
    await pageB.emulateMedia({ colorScheme: 'light' })

    // Undo in Alice's page takes back her keystrokes only; Bob's stay. Redo brings hers back.
    const withoutAlice = `Join us for the ${typedB}`
    await waitFor(
      'Alice’s undo removes her typing only',
      async () => {
        const text = await editorText(pageA, editor)
        expect(text).toContain(typedB)
        if (text === withoutAlice) return true
        await pageA.keyboard.press('Control+z')
        return undefined
      },
      { intervalMs: 300 },
    )
    await expect.poll(() => editorText(pageB, editor), WAIT).toBe(withoutAlice)
    // Redo re-inserts her keystrokes (next to Bob's run, in either order).
    const redone = await waitFor(
      'redo restores it',
      async () => {
        const text = await editorText(pageA, editor)
        if (text.length === finalA.length) return text
        await pageA.keyboard.press('Control+y')
        return undefined
      },
      { intervalMs: 300 },
    )
    expect(isSubsequence(typedA, redone)).toBe(true)
    expect(redone).toContain(typedB)
    await expect.poll(() => editorText(pageB, editor), WAIT).toBe(redone)
  }, 90_000)

  it('variants and the why-note are collaborative text too', async () => {
    const item = (await alice.client.call('queue.list', { search: 'Q3 launch event' }))[0]
    if (!item) throw new Error('the first test’s item is missing')
    await Promise.all([openStudioItem(pageA, item.title), openStudioItem(pageB, item.title)])
    // Bob adds a variant; it appears in Alice's page, where she writes it.
    await pageB.getByRole('button', { name: '+ Add a variant' }).click()
    await pageA.getByTestId('variant-linkedin-0').waitFor(WAIT)
    await pageA.getByTestId('variant-linkedin-0').click()
    await pageA.keyboard.type('Save the date: Q3 launch!')
    await expect
      .poll(() => editorText(pageB, 'variant-linkedin-0'), WAIT)
      .toBe('Save the date: Q3 launch!')
    // Bob completes the why-note while Alice watches.
    await caretToEnd(pageB, 'why-editor')
    await pageB.keyboard.type(' Sign-ups open today.')
    await expect
      .poll(() => editorText(pageA, 'why-editor'), WAIT)
      .toBe('Our biggest launch of the year. Sign-ups open today.')
    const atEve = await waitFor('variant and note at the employee', async () => {
      const got = await eve.client.call('item.get', { id: item.id })
      return got.variants.linkedin?.[0] === 'Save the date: Q3 launch!' &&
        got.why.endsWith('Sign-ups open today.')
        ? got
        : undefined
    })
    expect(atEve.variants.linkedin).toEqual(['Save the date: Q3 launch!'])

    // Alice types in a second variant while Bob removes the one above it: her editor moves up a
    // place (new label and test id) but is not rebuilt, so focus, caret and undo stay with her.
    await pageB.getByRole('button', { name: '+ Add a variant' }).click()
    const second = pageA.getByTestId('variant-linkedin-1')
    await second.waitFor(WAIT)
    await second.click()
    await pageA.keyboard.type('Mine')
    await expect.poll(() => editorText(pageB, 'variant-linkedin-1'), WAIT).toBe('Mine')
    await second.evaluate((element) => {
      ;(element as HTMLElement & { kept?: boolean }).kept = true
    })
    await pageB
      .locator('.variant')
      .first()
      .getByRole('button', { name: 'Remove this variant' })
      .click()
    await expect.poll(() => pageA.getByTestId('variant-linkedin-1').count(), WAIT).toBe(0)
    const moved = pageA.getByTestId('variant-linkedin-0')
    expect(await moved.getAttribute('aria-label')).toBe('Variants 1 · LinkedIn')
    await pageA.keyboard.type(' too')
    await expect.poll(() => editorText(pageB, 'variant-linkedin-0'), WAIT).toBe('Mine too')
    expect(
      await moved.evaluate((element) => ({
        same: (element as HTMLElement & { kept?: boolean }).kept === true,
        focused: (element.getRootNode() as ShadowRoot).activeElement === element,
      })),
    ).toEqual({ same: true, focused: true })
    // Her undo history survived the move: undo takes back " too".
    await pageA.keyboard.press('Control+z')
    await expect.poll(() => editorText(pageB, 'variant-linkedin-0'), WAIT).not.toContain('too')
  }, 60_000)

  it('offline edits and online edits are both kept; replicas and SQLite files converge', async () => {
    const item = await bob.client.call('item.create', {
      title: 'Engineering blog: our stack',
      url: 'https://example.com/stack',
      objective: 'talent',
      status: 'published',
      captions: { linkedin: 'How we build things.' },
    })
    await Promise.all([openStudioItem(pageA, item.title), openStudioItem(pageB, item.title)])
    await Promise.all([
      pageA.getByTestId('caption-linkedin').waitFor(WAIT),
      pageB.getByTestId('caption-linkedin').waitFor(WAIT),
    ])

    proxy.cut()
    await expect.poll(() => pageA.getByTestId('sync-status').textContent(), WAIT).toMatch(/Offline/)

    // Alice (offline) appends; Bob (online) prepends: concurrent edits of the same caption.
    await caretToEnd(pageA, 'caption-linkedin')
    await pageA.keyboard.type(' Offline note from Alice.')
    await pageB.getByTestId('caption-linkedin').click()
    await pageB.keyboard.press('Control+Home')
    await pageB.keyboard.type('Online: ')
    const expected = 'Online: How we build things. Offline note from Alice.'
    // While cut off, Alice's edit is in her core only (stored locally), not at Bob's.
    await waitFor('offline edit stored by Alice’s core', async () =>
      (await alice.client.call('item.get', { id: item.id })).captions.linkedin?.includes(
        'Offline note',
      ),
    )
    expect((await bob.client.call('item.get', { id: item.id })).captions.linkedin).not.toContain(
      'Offline note',
    )
    await pageA.screenshot({ path: join(RESULTS, 'studio-offline.png') })

    proxy.restore()
    await expect
      .poll(() => pageA.getByTestId('sync-status').textContent(), WAIT)
      .toMatch(/Up to date/)
    for (const page of [pageA, pageB]) {
      await expect.poll(() => editorText(page, 'caption-linkedin'), WAIT).toBe(expected)
    }
    for (const core of [alice, bob, eve]) {
      await waitFor(
        'core converged',
        async () =>
          (await core.client.call('item.get', { id: item.id })).captions.linkedin === expected,
      )
    }
    // Every SQLite queue table holds the same rows.
    const tables = await waitFor('SQLite queue tables identical', () => {
      const rows = [alice, bob, eve].map((core) => JSON.stringify(readQueueTable(core.dataDir)))
      return rows.every((row) => row === rows[0]) ? rows : undefined
    })
    expect(tables[0]).toContain(expected)
  }, 90_000)

  it('a proposal approved with an edit reaches the employee; a rejection shows its reason', async () => {
    const proposal = await eve.client.call('proposal.create', {
      url: 'https://example.com/team-offsite',
      title: 'Our team offsite',
      note: 'Great photos for employer brand',
      caption: 'What a week with the team',
    })
    const doomed = await eve.client.call('proposal.create', {
      url: 'https://competitor.example/news',
      title: 'Competitor news',
      note: '',
      caption: '',
    })
    await pageB.getByTestId('nav-review').click()
    await pageB.getByTestId('review-item').filter({ hasText: 'Our team offsite' }).click(WAIT)
    await pageB.getByTestId('item-editor').waitFor(WAIT)
    // Bob edits the title and the caption before approving.
    await pageB.getByTestId('field-title').fill('Our team offsite in the Alps')
    await pageB.getByTestId('field-title').press('Enter')
    await expect
      .poll(async () => (await bob.client.call('item.get', { id: proposal.id })).title, WAIT)
      .toBe('Our team offsite in the Alps')
    await caretToEnd(pageB, 'caption-linkedin')
    await pageB.keyboard.type(' #lifeatacme')
    await expect
      .poll(
        async () => (await bob.client.call('item.get', { id: proposal.id })).captions.linkedin,
        WAIT,
      )
      .toBe('What a week with the team #lifeatacme')
    await pageB.screenshot({ path: join(RESULTS, 'studio-review.png') })
    await pageB.getByTestId('approve-publish').click()

    const published = await waitFor('approved proposal in the employee queue', async () =>
      (await eve.client.call('queue.list', { status: ['published'] })).find(
        (item) => item.id === proposal.id,
      ),
    )
    expect(published.title).toBe('Our team offsite in the Alps')
    expect(published.captions.linkedin).toBe('What a week with the team #lifeatacme')
    expect(published.moderation).toMatchObject({ decision: 'approved', reason: null })
    expect(published.approverId).toBe((await bob.client.call('status.get', {})).session?.memberId)

    // Alice rejects the other one with a reason.
    await pageA.getByTestId('nav-review').click()
    await pageA.getByTestId('review-item').filter({ hasText: 'Competitor news' }).click(WAIT)
    await pageA.getByTestId('reject').click()
    await pageA.getByTestId('reject-reason').fill('We do not relay competitors’ news.')
    await pageA.getByTestId('confirm-reject').click()
    const mine = await waitFor('the author sees both decisions', async () => {
      const list = await eve.client.call('proposal.listMine', {})
      const approved = list.find((p) => p.id === proposal.id)
      const rejected = list.find((p) => p.id === doomed.id)
      return approved?.state === 'approved' && rejected?.state === 'rejected'
        ? { approved, rejected }
        : undefined
    })
    expect(mine.rejected.reason).toBe('We do not relay competitors’ news.')
    // The decision is the curators' record; the author's core holds no copy of the item.
    await expect(eve.client.call('item.get', { id: doomed.id })).rejects.toThrow(/No item/)
    expect((await bob.client.call('item.get', { id: doomed.id })).moderation).toMatchObject({
      decision: 'rejected',
      reason: 'We do not relay competitors’ news.',
    })
    await expect.poll(() => pageA.getByTestId('review-empty').isVisible(), WAIT).toBe(true)
  }, 90_000)

  it('refuses an employee in the UI, and her window’s writes change nothing elsewhere', async () => {
    const pageE = await studioPage(await context(eve), eve)
    const refusal = pageE.getByTestId('studio-refusal')
    await refusal.waitFor(WAIT)
    expect(await refusal.textContent()).toContain('The studio is for champions and admins')
    expect(await pageE.getByTestId('studio').count()).toBe(0)
    expect(await pageE.locator('.cm-editor').count()).toBe(0)
    await pageE.screenshot({ path: join(RESULTS, 'studio-refused.png') })

    // A crafted write from Eve's window replica (what a modified page could send). The relay
    // drops such writes too (protocol level: tests/relay/roles.test.ts); here her own core
    // refuses them first, and nothing reaches the champions.
    const item = (await alice.client.call('queue.list', { search: 'Q3 launch event' }))[0]
    if (!item) throw new Error('the first test’s item is missing')
    const before = item.captions.linkedin
    const window = openReplica(eve.client, 'queue')
    pushEdits(eve.client, window.doc)
    await waitFor('item in Eve’s window', () => itemsMap(window.doc).has(item.id))
    captionText(window.doc, item.id, 'linkedin').insert(0, 'HACKED ')
    itemsMap(window.doc).get(item.id)?.set('status', 'archived')
    // A later champion edit proves the pipe is flowing before we look.
    await bob.client.call('item.update', { id: item.id, patch: { priority: 71 } })
    for (const core of [alice, bob, eve]) {
      await waitFor(
        'later champion edit everywhere',
        async () => (await core.client.call('item.get', { id: item.id })).priority === 71,
      )
      const seen = await core.client.call('item.get', { id: item.id })
      expect(seen.captions.linkedin).toBe(before)
      expect(seen.status).toBe('published')
    }
    window.close()
    await pageE.close()
  }, 60_000)

  it('campaigns and feed sources from the UI: create, attach, poll, clear errors', async () => {
    const feeds = await startFixtureServer({
      '/rss.xml': file('rss2.xml', 'application/rss+xml'),
      '/broken.xml': file('broken.xml', 'application/rss+xml'),
      '/article': file('article.html', 'text/html; charset=utf-8'),
    })
    try {
      await pageA.getByTestId('nav-campaigns').click()
      await pageA.getByRole('button', { name: '+ New campaign' }).click()
      const form = pageA.getByTestId('campaign-form')
      await form.getByLabel('Name').fill('Q3 launch')
      await form.getByLabel('Goal metric').fill('confirmed sign-ups')
      await form.getByLabel('Target').fill('3000')
      await form.getByLabel('Deadline').fill('2026-12-18T18:00')
      await form.getByRole('button', { name: 'Create campaign' }).click()
      const card = pageA.getByTestId('campaign-card').filter({ hasText: 'Q3 launch' })
      await card.waitFor(WAIT)
      await card.getByRole('combobox').selectOption({ label: 'Q3 launch event' })
      await expect
        .poll(() => card.locator('.attached li').allTextContents(), WAIT)
        .toEqual([expect.stringContaining('Q3 launch event')])
      // The employee's core gets it through the relay, merged with others' edits (reader fan-out).
      await waitFor('the campaign at the employee', async () =>
        (await eve.client.call('campaign.list', {})).some((c) => c.name === 'Q3 launch'),
      )
      const campaign = (await eve.client.call('campaign.list', {})).find(
        (c) => c.name === 'Q3 launch',
      )
      expect(campaign).toMatchObject({ goalMetric: 'confirmed sign-ups', goalTarget: 3000 })
      await waitFor(
        'attached item at the employee',
        async () =>
          (await eve.client.call('queue.list', { campaignId: campaign?.id })).length === 1,
      )
      await pageA.screenshot({ path: join(RESULTS, 'studio-campaigns.png') })
      if (!campaign) throw new Error('the campaign is missing')

      // Editing: a refused save keeps the form open with what I typed.
      await card.getByRole('button', { name: '✎' }).click()
      const edit = pageA.getByTestId('campaign-form')
      await edit.getByLabel('Name').fill('   ')
      await edit.getByRole('button', { name: 'Save campaign' }).click()
      await pageA.getByTestId('studio-error').waitFor(WAIT)
      expect(await edit.isVisible()).toBe(true)
      expect(await edit.getByLabel('Name').inputValue()).toBe('   ')
      await pageA.getByTestId('studio-error').getByRole('button', { name: 'Dismiss' }).click()
      // Meanwhile Bob raises the target; Alice then renames: the form sends only the name, so
      // Bob's target stays.
      await bob.client.call('campaign.update', { id: campaign.id, patch: { goalTarget: 4500 } })
      await waitFor(
        'Bob’s edit at Alice’s core',
        async () =>
          (await alice.client.call('campaign.list', {})).find((c) => c.id === campaign.id)
            ?.goalTarget === 4500,
      )
      await edit.getByLabel('Name').fill('Q3 launch week')
      await edit.getByRole('button', { name: 'Save campaign' }).click()
      await expect.poll(() => pageA.getByTestId('campaign-form').count(), WAIT).toBe(0)
      const renamed = await waitFor('the rename at the employee', async () =>
        (await eve.client.call('campaign.list', {})).find(
          (c) => c.id === campaign.id && c.name === 'Q3 launch week',
        ),
      )
      expect(renamed.goalTarget).toBe(4500)

      await pageA.getByTestId('nav-feeds').click()
      for (const path of ['/rss.xml', '/broken.xml']) {
        await pageA.getByTestId('feed-url').fill(`${feeds.origin}${path}`)
        await pageA.getByTestId('feed-url').press('Enter')
        await pageA.getByTestId('feed').filter({ hasText: path }).waitFor(WAIT)
      }
      await pageA.getByTestId('poll-feeds').click()
      const error = pageA
        .getByTestId('feed')
        .filter({ hasText: '/broken.xml' })
        .getByTestId('feed-error')
      await error.waitFor(WAIT)
      expect(await error.textContent()).toMatch(/not valid XML/)
      await pageA.screenshot({ path: join(RESULTS, 'studio-feeds.png') })
      // The valid feed's entries are drafts in every champion's list, as text.
      const draft = await waitFor('feed draft at Bob', async () =>
        (await bob.client.call('queue.list', { status: ['draft'] })).find(
          (item) => item.url === `${feeds.origin}/article`,
        ),
      )
      await pageB.getByTestId('nav-items').click()
      await pageB.getByTestId('filter-status').selectOption('draft')
      await expect
        .poll(() => pageB.getByTestId('studio-item').allTextContents(), WAIT)
        .toEqual(expect.arrayContaining([expect.stringContaining(draft.title)]))
      await pageB.screenshot({ path: join(RESULTS, 'studio-items-drafts.png') })
    } finally {
      await feeds.close()
    }
  }, 90_000)

  it('creates an item, finds it by search and filters, and reorders by priority', async () => {
    await pageA.getByTestId('nav-items').click()
    await pageA.getByTestId('new-item').click()
    const form = pageA.getByTestId('create-item')
    await form.getByLabel('Title').fill('Careers page relaunch')
    await form.getByLabel('Link').fill('https://example.com/careers')
    await form.getByLabel('Objective').selectOption('talent')
    await form.getByRole('button', { name: 'Create draft' }).click()
    // The new draft opens in the editor, and is in Bob's list too.
    await expect
      .poll(() => pageA.getByTestId('item-editor').getAttribute('aria-label'), WAIT)
      .toBe('Careers page relaunch')
    // A refused link keeps what I typed, marked as not saved, until I fix it.
    const link = pageA.getByTestId('item-editor').locator('input[aria-label="Link"]')
    await link.fill('not a link')
    await link.press('Enter')
    await pageA.getByTestId('studio-error').waitFor(WAIT)
    await pageA.getByTestId('item-editor').getByTestId('field-error').waitFor(WAIT)
    expect(await link.inputValue()).toBe('not a link')
    await link.fill('https://example.com/careers-2026')
    await link.press('Enter')
    await expect
      .poll(
        async () =>
          (await alice.client.call('queue.list', { search: 'Careers page relaunch' }))[0]?.url,
        WAIT,
      )
      .toBe('https://example.com/careers-2026')
    expect(await pageA.getByTestId('item-editor').getByTestId('field-error').count()).toBe(0)
    await pageA.getByTestId('studio-error').getByRole('button', { name: 'Dismiss' }).click()
    await pageB.getByTestId('nav-items').click()
    await pageB.getByTestId('filter-status').selectOption('')
    await pageB.getByTestId('search').fill('careers')
    await expect
      .poll(() => pageB.getByTestId('studio-item').allTextContents(), WAIT)
      .toEqual([expect.stringContaining('Careers page relaunch')])
    await pageB.getByTestId('search').fill('')
    await pageB.getByLabel('All sources').selectOption('employee')
    await expect
      .poll(() => pageB.getByTestId('studio-item').allTextContents(), WAIT)
      .toEqual(
        expect.arrayContaining([
          expect.stringContaining('Our team offsite in the Alps'),
          expect.stringContaining('Competitor news'),
        ]),
      )
    expect(await pageB.getByTestId('studio-item').count()).toBe(2)
    await pageB.getByLabel('All sources').selectOption('')

    // Move the new draft to the top of Bob's list.
    const titles = () => pageB.locator('.studio-item-title').allTextContents()
    await expect
      .poll(async () => (await titles()).includes('Careers page relaunch'), WAIT)
      .toBe(true)
    await waitFor(
      'moved to the top',
      async () => {
        if ((await titles())[0] === 'Careers page relaunch') return true
        await pageB.getByRole('button', { name: 'Move up: Careers page relaunch' }).click()
        return undefined
      },
      { intervalMs: 300 },
    )
    expect((await titles())[0]).toBe('Careers page relaunch')
    const [top, second] = await bob.client.call('queue.list', {})
    expect(top?.title).toBe('Careers page relaunch')
    expect(top?.priority).toBeGreaterThan(second?.priority ?? 100)
  }, 60_000)

  it('shows markup in an item’s title, caption and note as text, and runs none of it', async () => {
    const title = '<img src=x onerror="window.__pwned=1"> Hostile title'
    const caption = '<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3">'
    const why = '<b onmouseover="window.__pwned=4">bold</b>'
    await alice.client.call('item.create', {
      title,
      url: 'https://example.com/hostile',
      objective: 'awareness',
      status: 'published',
      captions: { linkedin: caption },
      why,
    })
    await pageB.getByTestId('nav-items').click()
    await pageB.getByTestId('filter-status').selectOption('')
    await pageB.getByTestId('search').fill('Hostile title')
    const row = pageB.getByTestId('studio-item').filter({ hasText: 'Hostile title' })
    await row.waitFor(WAIT)
    expect(await row.locator('.studio-item-title').textContent()).toBe(title)
    await row.click()
    await pageB.getByTestId('caption-linkedin').waitFor(WAIT)
    expect(await pageB.getByTestId('item-editor').locator('.editor-title').textContent()).toBe(
      title,
    )
    await expect.poll(() => editorText(pageB, 'caption-linkedin'), WAIT).toBe(caption)
    expect(await editorText(pageB, 'why-editor')).toBe(why)
    await expect.poll(() => pageB.getByTestId('preview-linkedin').textContent(), WAIT).toBe(caption)
    // No element came out of the text (CSS locators pierce the editors' shadow roots).
    const studio = pageB.getByTestId('studio')
    expect(await studio.locator('img, script, b, [onerror], [onmouseover]').count()).toBe(0)
    await studio.getByTestId('preview-linkedin').hover()
    expect(await pageB.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined()
    await pageB.getByTestId('search').fill('')
  }, 60_000)

  it('shows texts only once the window replica has the core’s state: no “Start caption”', async () => {
    const item = await alice.client.call('item.create', {
      title: 'Held replica',
      url: 'https://example.com/held',
      objective: 'awareness',
      status: 'published',
      captions: { linkedin: 'Already written' },
    })
    // The page's sync messages from the core are held back; calls and events pass.
    const held: string[] = []
    let release = () => {}
    const page = await studioPage(await context(alice), alice, (p) =>
      p.routeWebSocket(
        (url) => url.pathname === '/core',
        (ws) => {
          const server = ws.connectToServer()
          let holding = true
          ws.onMessage((message) => server.send(message))
          server.onMessage((message) => {
            const doc = typeof message === 'string' && JSON.parse(message).t === 'doc'
            if (holding && doc) held.push(message as string)
            else ws.send(message)
          })
          release = () => {
            holding = false
            for (const message of held.splice(0)) ws.send(message)
          }
        },
      ),
    )
    await page.getByTestId('studio').waitFor(WAIT)
    await openStudioItem(page, item.title)
    await page.waitForTimeout(500)
    expect(await page.getByTestId('start-caption').count()).toBe(0)
    await page.getByTestId('texts-loading').waitFor(WAIT)
    expect(held.length).toBeGreaterThan(0)
    release()
    await page.getByTestId('caption-linkedin').waitFor(WAIT)
    expect(await editorText(page, 'caption-linkedin')).toBe('Already written')
    expect(await page.getByTestId('start-caption').count()).toBe(0)
    expect(await violations(page)).toEqual([])
    await page.close()
  }, 60_000)

  it('shows names from awareness as text: no fake avatars, no control or bidi characters', async () => {
    const item = await alice.client.call('item.create', {
      title: 'Presence check',
      url: 'https://example.com/presence',
      objective: 'awareness',
      status: 'published',
    })
    await pageB.getByTestId('search').fill('')
    await openStudioItem(pageB, item.title)
    // What a modified window on Bob's core could announce (the relay itself only passes the
    // token's name, but the window must not rely on it: awareness is untrusted input).
    const spoof = new WindowReplica(bob.client, 'queue')
    spoof.awareness.setLocalState({
      user: {
        name: 'Mallory\u0001pv-peer-3\u0000Fake Person\u202Egnp.exe\u2066',
        color: '#1971c2',
      },
      editing: item.id,
    })
    try {
      const titles = () =>
        pageB
          .getByTestId('presence')
          .locator('.avatar')
          .evaluateAll((avatars) => avatars.map((avatar) => avatar.getAttribute('title') ?? ''))
      await expect
        .poll(async () => (await titles()).some((title) => title.startsWith('Mallory')), WAIT)
        .toBe(true)
      const shown = await titles()
      expect(shown).toContain('Mallorypv-peer-3Fake Persongnp.exe')
      expect(shown.some((title) => title.startsWith('Fake'))).toBe(false)
      for (const title of shown) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not be shown
        expect(title).not.toMatch(/[\u0000-\u001f\u202a-\u202e\u2066-\u2069]/)
      }
    } finally {
      spoof.destroy()
    }
  }, 60_000)

  it('an employee promoted to champion gets the editors without reloading the studio', async () => {
    const dan = await startCore({ args: ['--static', rendererDir()] })
    try {
      const memberId = 'mem_danpromoted'
      await dan.client.call('workspace.join', {
        invitation: await relay.invite({
          workspaceId,
          name: 'Dan Moreau',
          role: 'employee',
          memberId,
        }),
      })
      const page = await studioPage(await context(dan), dan)
      await page.getByTestId('studio-refusal').waitFor(WAIT)
      // Same member, new role.
      await dan.client.call('workspace.join', {
        invitation: await relay.invite({
          workspaceId,
          name: 'Dan Moreau',
          role: 'champion',
          memberId,
        }),
      })
      await page.getByTestId('studio').waitFor(WAIT)
      await openStudioItem(page, 'Q3 launch event')
      await page.getByTestId('caption-linkedin').waitFor(WAIT)
      const item = (await dan.client.call('queue.list', { search: 'Q3 launch event' }))[0]
      await expect
        .poll(() => editorText(page, 'caption-linkedin'), WAIT)
        .toBe(item?.captions.linkedin)
      expect(await violations(page)).toEqual([])
      await page.close()
    } finally {
      await dan.stop()
    }
  }, 60_000)

  it('logged no CSP violation in any studio page', async () => {
    expect(await violations(pageA)).toEqual([])
    expect(await violations(pageB)).toEqual([])
  })
})

/** Forward a test-held replica's local edits to the core, as a window's binding does. */
function pushEdits(client: CoreClient, doc: import('yjs').Doc): void {
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === 'core') return
    const encoder = encoding.createEncoder()
    syncProtocol.writeUpdate(encoder, update)
    client.send({ t: 'doc', doc: 'queue', data: toBase64(encoding.toUint8Array(encoder)) })
  })
}
