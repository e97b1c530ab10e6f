/**
 * Studio co-editing latency: `npx tsx tests/bench/studio-latency.ts` (needs a built renderer:
 * `npm run build`, or PV_RENDERER_DIR pointing at a vite build of renderer/).
 *
 * A real relay, two champions' core hosts serving the renderer, two studio pages in Debian's
 * Chromium on the same caption. Page A types KEYS characters (one every INTERVAL_MS); page A
 * stamps each keydown, page B stamps (with a MutationObserver) when its editor first shows each
 * new character. Latency = keystroke in A → character on B's screen, through A's window replica,
 * A's core (SQLite append), the relay (SQLite append), B's core and B's window replica.
 * Both stamps are `performance.timeOrigin + performance.now()`, comparable across pages of one
 * browser on one machine.
 */
import type { Page } from 'playwright-core'
import { launchChromium, newContext } from '../helpers/browser'
import { startCore } from '../helpers/core'
import { startRelay } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'

const KEYS = Number(process.env.KEYS ?? 150)
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 60)
const WAIT = { timeout: 30_000 }

type Stamps = { sent: number[]; seen: number[] }

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function open(page: Page, port: number, title: string): Promise<void> {
  await page.setViewportSize({ width: 1360, height: 860 })
  await page.goto(`http://127.0.0.1:${port}/index.html#studio`)
  await page.getByTestId('studio-item').filter({ hasText: title }).first().click(WAIT)
  await page.getByTestId('caption-linkedin').waitFor(WAIT)
}

async function main() {
  const relay = await startRelay()
  const args = ['--static', rendererDir()]
  const [a, b, browser] = await Promise.all([
    startCore({ args }),
    startCore({ args }),
    launchChromium(),
  ])
  try {
    const workspaceId = await relay.createWorkspace('Latency bench')
    await a.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Alice', role: 'champion' }),
    })
    await b.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Bob', role: 'champion' }),
    })
    const item = await a.client.call('item.create', {
      title: 'Latency bench item',
      url: 'https://example.com/latency',
      objective: 'awareness',
      captions: { linkedin: '' },
    })
    const pageA = await (await newContext(browser.browser, { origin: a.url })).newPage()
    const pageB = await (await newContext(browser.browser, { origin: b.url })).newPage()
    await Promise.all([open(pageA, a.port, item.title), open(pageB, b.port, item.title)])

    // B: one stamp per new character, read from the editor's text nodes (carets excluded).
    // Scripts are strings: tsx would wrap named functions in a helper the page lacks.
    await pageB.evaluate(`(() => {
      const content = [...document.querySelectorAll('.collab-editor')]
        .map((host) => host.shadowRoot && host.shadowRoot.querySelector('[data-testid=caption-linkedin]'))
        .find(Boolean)
      window.stamps = []
      const length = () => {
        let n = 0
        const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT)
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (!node.parentElement.closest('.cm-ySelectionCaret')) n += node.textContent.length
        }
        return n
      }
      new MutationObserver(() => {
        const now = performance.timeOrigin + performance.now()
        const n = length()
        while (window.stamps.length < n) window.stamps.push(now)
      }).observe(content, { subtree: true, childList: true, characterData: true })
    })()`)
    // A: stamp each keydown before the editor handles it.
    await pageA.evaluate(`(() => {
      window.stamps = []
      document.addEventListener('keydown', () => {
        window.stamps.push(performance.timeOrigin + performance.now())
      }, { capture: true })
    })()`)
    await pageA.getByTestId('caption-linkedin').click()
    const alphabet = 'abcdefghijklmnopqrstuvwxyz'
    for (let i = 0; i < KEYS; i++) {
      await pageA.keyboard.type(alphabet[i % alphabet.length] ?? 'x')
      await new Promise((r) => setTimeout(r, INTERVAL_MS))
    }
    const read = (page: Page) => page.evaluate('window.stamps') as Promise<number[]>
    const deadline = Date.now() + 30_000
    let stamps: Stamps = { sent: [], seen: [] }
    while (Date.now() < deadline) {
      stamps = { sent: await read(pageA), seen: await read(pageB) }
      if (stamps.seen.length >= KEYS) break
      await new Promise((r) => setTimeout(r, 100))
    }
    if (stamps.seen.length < KEYS) throw new Error(`B saw ${stamps.seen.length}/${KEYS} characters`)
    const latencies = stamps.sent
      .slice(0, KEYS)
      .map((sent, i) => (stamps.seen[i] ?? Number.NaN) - sent)
      .sort((x, y) => x - y)
    const mean = latencies.reduce((s, x) => s + x, 0) / latencies.length
    console.log(
      `RESULT keystroke → remote screen over ${KEYS} keystrokes (one per ~${INTERVAL_MS} ms): ` +
        `median ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)} ms, mean ${mean.toFixed(1)} ms, ` +
        `min ${latencies[0]?.toFixed(1)} ms, max ${latencies[latencies.length - 1]?.toFixed(1)} ms`,
    )
  } finally {
    await browser.close()
    await Promise.all([a.stop(), b.stop()])
    await relay.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
