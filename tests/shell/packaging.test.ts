import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { listPackage } from '@electron/asar'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..', '..')
const run = promisify(execFile)

/**
 * electron-builder packs the built app (out/, from `npm run build`) with a stub in place of the
 * Electron binary, which cannot be downloaded here: enough to check the app's layout. Native
 * modules are rebuilt for Electron only on a real packaging machine (npmRebuild).
 */
describe('packaging', () => {
  const work = mkdtempSync(join(tmpdir(), 'pv-pack-'))
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('produces an asar with main, core, preload, renderer and tray icons; SQLite unpacked', async () => {
    expect(existsSync(join(ROOT, 'out', 'main', 'index.js')), 'run `npm run build` first').toBe(
      true,
    )
    const stub = join(work, 'electron-stub')
    mkdirSync(stub)
    writeFileSync(join(stub, 'electron'), '')
    chmodSync(join(stub, 'electron'), 0o755)
    const output = join(work, 'dist')
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'electron-builder', 'cli.js'),
        '--linux',
        'dir',
        `-c.electronDist=${stub}`,
        '-c.npmRebuild=false',
        `-c.directories.output=${output}`,
      ],
      { cwd: ROOT, timeout: 180_000 },
    )
    const resources = join(output, 'linux-unpacked', 'resources')
    const files = new Set(listPackage(join(resources, 'app.asar'), { isPack: false }))
    for (const file of [
      '/out/main/index.js',
      '/out/main/core.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/resources/tray/tray-idle.png',
      '/resources/tray/tray-new.png',
      '/resources/tray/tray-offline.png',
      '/resources/tray/tray-idleTemplate.png',
      '/package.json',
    ]) {
      expect(files.has(file), file).toBe(true)
    }
    // Sources and tests never ship.
    expect([...files].some((f) => f.startsWith('/tests/') || f.startsWith('/main/'))).toBe(false)
    expect(
      existsSync(
        join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'package.json'),
      ),
    ).toBe(true)
  }, 200_000)
})
