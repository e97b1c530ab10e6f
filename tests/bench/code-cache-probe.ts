/**
 * Probe (issue 7.8): does this Chromium consume V8's code cache for a classic script, and for a
 * module script? One page loads the same ~140 kB of functions twice, once as a classic
 * `<script>` and once as `type="module"`, both `immutable` from the HTTP cache (as
 * main/host/static-files.ts serves the renderer's assets). Chromium is started as a plain child
 * process (no DevTools attached) `starts` times on one profile; each start's startup trace says,
 * per script, whether it was compiled (`streamed`) or deserialised (`consumedCacheSize`).
 *
 *   npx tsx tests/bench/code-cache-probe.ts [starts=4]
 *
 * Chromium stores a script's code cache the second time it runs it and uses it from the third.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readPageTrace, startPlainChromium, tracedStartArgs, waitForTrace } from './plain-chromium'

const STARTS = Math.max(3, Number(process.argv[2] ?? 4))

const functions = Array.from(
  { length: 3_000 },
  (_, i) => `function f${i}(a) { return a * ${i} + Math.sqrt(a + ${i}) }`,
).join('\n')
const FILES: Record<string, { type: string; body: string; cache: string }> = {
  '/index.html': {
    type: 'text/html',
    cache: 'no-cache',
    body: '<!doctype html><script src="/classic.js"></script><script type="module" src="/module.js"></script><p>probe</p>',
  },
  '/classic.js': {
    type: 'text/javascript',
    cache: 'public, max-age=31536000, immutable',
    body: `${functions}\nwindow.classicTotal = f1(1) + f2999(2)\n`,
  },
  '/module.js': {
    type: 'text/javascript',
    cache: 'public, max-age=31536000, immutable',
    body: `${functions}\nwindow.moduleTotal = f1(1) + f2999(2)\n`,
  },
}

async function main(): Promise<void> {
  const server = createServer((req, res) => {
    const file = FILES[req.url ?? '']
    if (!file) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': file.cache }).end(file.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const dir = mkdtempSync(join(tmpdir(), 'porte-voix-bench-code-cache-'))
  try {
    for (let start = 1; start <= STARTS; start++) {
      const traceFile = join(dir, `trace-${start}.json`)
      const browser = startPlainChromium(
        join(dir, 'profile'),
        `${origin}/index.html`,
        tracedStartArgs(traceFile, 3),
        dir,
      )
      try {
        const trace = readPageTrace(await waitForTrace(traceFile, 60_000), origin)
        for (const script of trace.scripts) {
          console.log(
            `start ${start}: ${script.url.padEnd(12)} ${script.kind.padEnd(7)} ${
              script.consumedCacheSize > 0
                ? `code cache consumed (${script.consumedCacheSize} bytes)`
                : `compiled${script.streamed ? ' (streamed)' : ''}`
            }${script.notStreamedReason ? ` — ${script.notStreamedReason}` : ''}`,
          )
        }
      } finally {
        // A clean shutdown: Chromium writes the HTTP and code caches.
        await browser.stop()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
