import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export type TestBrowser = { browser: Browser; close(): Promise<void> }

/** Debian's Chromium, headless, with nothing reaching out to the network on its own. */
export async function launchChromium(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'pv-chromium-'))
  const browser = await chromium.launch({
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
      `--user-data-dir=${profile}`,
    ],
  })
  return {
    browser,
    async close() {
      await browser.close()
      rmSync(profile, { recursive: true, force: true })
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
