import { execFile } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { listPackage } from '@electron/asar'
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses'
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
    // The stub carries a fuse wire as Electron's binary does (sentinel, version 1, eight fuses, all
    // in Electron's shipped state), so the fuses electron-builder flips can be read back below.
    const wire = Buffer.concat([
      Buffer.from(SENTINEL, 'latin1'),
      Buffer.from([1, 8]),
      Buffer.from(
        [1, 1, 1, 1, 0, 0, 0, 1].map((on) => (on ? FuseState.ENABLE : FuseState.DISABLE)),
      ),
    ])
    writeFileSync(join(stub, 'electron'), wire)
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

    // The fuses of the config are flipped in the packaged binary.
    const unpacked = join(output, 'linux-unpacked')
    const binary = readdirSync(unpacked)
      .map((name) => join(unpacked, name))
      .find((file) => {
        try {
          return readFileSync(file).includes(SENTINEL)
        } catch {
          return false
        }
      })
    expect(binary, 'the packaged executable').toBeDefined()
    const fuses = (await getCurrentFuseWire(binary as string)) as Record<number, number>
    for (const [fuse, state] of Object.entries(EXPECTED_FUSES)) {
      expect(fuses[Number(fuse)], FuseV1Options[Number(fuse)]).toBe(state)
    }
  }, 200_000)

  it('electron-builder.yml sets the recommended Electron fuses', () => {
    // The block is flat `key: true|false` lines under `electronFuses:`.
    const yml = readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')
    const block = /^electronFuses:\n((?:[ ]+\w+: (?:true|false)\n)+)/m.exec(yml)?.[1] ?? ''
    const fuses = Object.fromEntries(
      [...block.matchAll(/(\w+): (true|false)/g)].map(([, key, value]) => [key, value === 'true']),
    )
    expect(fuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    })
  })

  it('turns GrantFileProtocolExtraPrivileges off: the windows load from the app scheme, not file://', () => {
    // With the fuse off, a module script from file:// would be refused and the window stay
    // blank: the windows must be served by the app scheme's handler (main/shell/app-scheme.ts).
    const windows = readFileSync(join(ROOT, 'main', 'shell', 'windows.ts'), 'utf8')
    expect(windows).toMatch(/new URL\(`\$\{APP_ORIGIN\}\/index\.html`\)/)
    expect(windows).toMatch(/session\.protocol\.handle\(APP_SCHEME,/)
    expect(windows).not.toMatch(/new URL\(`file:/)
  })
})

/** @electron/fuses' byte values of a fuse's state (its FuseState, not exported). */
const FuseState = { DISABLE: 48, ENABLE: 49 } as const
type FuseState = (typeof FuseState)[keyof typeof FuseState]

/** @electron/fuses' marker before the fuse wire in Electron's binary. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'

const EXPECTED_FUSES: Partial<Record<FuseV1Options, FuseState>> = {
  [FuseV1Options.RunAsNode]: FuseState.DISABLE,
  [FuseV1Options.EnableCookieEncryption]: FuseState.ENABLE,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: FuseState.DISABLE,
  [FuseV1Options.EnableNodeCliInspectArguments]: FuseState.DISABLE,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: FuseState.ENABLE,
  [FuseV1Options.OnlyLoadAppFromAsar]: FuseState.ENABLE,
  // The windows load from the app scheme, not file:// (see electron-builder.yml).
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: FuseState.DISABLE,
}
