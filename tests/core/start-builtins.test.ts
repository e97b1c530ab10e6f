import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CORE_EXEC_ARGV } from '../../main/core/runtime-flags'
import { startCore } from '../helpers/core'
import { removeTempDir, tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

/**
 * Issue 7.8: what Node loads before the host can answer a window's first screen. A built-in
 * imported as an ES module is a facade whose every export Node reads once, getters included:
 * node:http's loads undici (~70 more built-in modules on Node 22+, 20–45 ms of CPU before the
 * first answers on Node 24), node:fs/promises its ~20 modules. The start's path takes them
 * through require() (or not at all): at "listening" neither is loaded.
 */

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir)
})

describe('host start', () => {
  it('has loaded neither undici nor node:fs/promises when it listens', async () => {
    const dir = tempDir('porte-voix-start-builtins-')
    dirs.push(dir)
    const out = join(dir, 'modules.json')
    const spy = join(dir, 'spy.cjs')
    // On SIGUSR2, the built-in modules loaded so far, written whole then renamed: the test reads
    // the file as soon as it exists.
    writeFileSync(
      spy,
      `process.on('SIGUSR2', () => { const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(`${out}.part`)}, JSON.stringify(process.moduleLoadList)); fs.renameSync(${JSON.stringify(`${out}.part`)}, ${JSON.stringify(out)}) })\n`,
    )
    const core = await startCore({
      dataDir: join(dir, 'data'),
      execArgv: [...CORE_EXEC_ARGV, '--require', spy],
      // Nothing asks, and the core's own load is far away: only the start's path is loaded.
      env: { ...process.env, PORTE_VOIX_START_DELAY_MS: '600000', PORTE_VOIX_START_TRACE: '1' },
    })
    try {
      process.kill(core.pid, 'SIGUSR2')
      await waitFor('the module list', () => existsSync(out))
      expect(core.logs()).not.toContain('core module import started')
      const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[]
      expect(loaded).toContain('NativeModule http')
      expect(loaded.filter((name) => /undici|^NativeModule fs\/promises$/.test(name))).toEqual([])
    } finally {
      await core.stop()
    }
  })
})
