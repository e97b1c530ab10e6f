import { type Browser, type BrowserContext, chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Debian's Chromium, headless, with nothing reaching out to the network on its own. */
export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
}

export type TestBrowser = { browser: Browser; close(): Promise<void> }

/**
 * CHROMIUM_LAUNCH on a fresh temporary profile (Playwright gives each launch one and refuses a
 * `--user-data-dir` argument).
 */
export async function launchChromium(): Promise<TestBrowser> {
  const browser = await chromium.launch(CHROMIUM_LAUNCH)
  return {
    browser,
    async close() {
      await browser.close()
    },
  }
}

/** A page context that may use the clipboard (the popover copies captions). */
export async function newContext(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark'; origin: string },
): Promise<BrowserContext> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: 380, height: 580 },
    locale: 'en-US',
  })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: options.origin })
  return context
}
