import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import { CHROMIUM_LAUNCH } from '../helpers/browser'

/**
 * Start kinds for the popover benches (issue 7.8). `cold`: a fresh browser profile, as at the
 * app's very first start (no HTTP cache, no V8 code cache). `warm`: a browser started again on a
 * profile that has loaded the page twice before — every start but the first two, since Chromium
 * stores a script's code cache the second time it runs it and uses it from the third.
 */
export type StartKind = 'cold' | 'warm'
export const WARM_PRIMING_LOADS = 2

/**
 * A profile on disk, in its own temp folder, and a way to start Debian's Chromium on it (the test
 * browser's CHROMIUM_LAUNCH); each start is a new browser process, as an app start is.
 */
export function browserProfile() {
  const dir = mkdtempSync(join(tmpdir(), 'porte-voix-bench-profile-'))
  return {
    dir,
    /** `args`: more Chromium flags (e.g. a startup trace, tests/bench/plain-chromium.ts). */
    start: async (origin: string, args: string[] = []): Promise<BrowserContext> => {
      const context = await chromium.launchPersistentContext(dir, {
        ...CHROMIUM_LAUNCH,
        args: [...CHROMIUM_LAUNCH.args, ...args],
        colorScheme: 'light',
        viewport: { width: 380, height: 580 },
        locale: 'en-US',
      })
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
      return context
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * Make a profile warm: start the browser on it and load the page WARM_PRIMING_LOADS times, each
 * until its bundle has run (`pv:script-run`) and a moment for Chromium to write the cache.
 */
export async function primeProfile(
  profile: ReturnType<typeof browserProfile>,
  origin: string,
  url: string,
): Promise<void> {
  for (let load = 0; load < WARM_PRIMING_LOADS; load++) {
    const context = await profile.start(origin)
    try {
      // No core behind these loads: the page's WebSocket is closed in the browser, never left
      // open (and paused) on the bench's server, which could then not close.
      await context.routeWebSocket(/\/core/, (socket) => socket.close())
      const page = context.pages()[0] ?? (await context.newPage())
      await page.goto(url)
      await page.waitForFunction(() => performance.getEntriesByName('pv:script-run').length > 0)
      await page.waitForTimeout(1_500)
    } finally {
      await context.close()
    }
  }
}
