import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The suite's temp-dir hygiene (tests/global-setup.ts): each run gets one temp root, deleted at
 * the end, and a run that leaves porte-voix-* entries in the real temp dir fails. Checked on
 * nested vitest runs whose "real" temp dir is a folder of this test's own.
 */

const ROOT = resolve(import.meta.dirname, '..', '..')
let work: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'porte-voix-tmpcheck-'))
})

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

/** Run vitest on one test file (globals, no imports) with the suite's global setup. */
function nestedRun(
  name: string,
  body: string,
): { code: number | null; output: string; tmp: string } {
  const project = join(work, name)
  const tmp = join(work, `${name}-tmp`)
  mkdirSync(project)
  mkdirSync(tmp)
  writeFileSync(
    join(project, 'vitest.config.mjs'),
    `export default { test: { globals: true, include: ['*.test.mjs'], globalSetup: [${JSON.stringify(join(ROOT, 'tests/global-setup.ts'))}] } }\n`,
  )
  writeFileSync(
    join(project, 'case.test.mjs'),
    `import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
test('case', () => {
${body}
})
`,
  )
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.config.mjs'],
    { cwd: project, env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp }, encoding: 'utf8' },
  )
  return { code: result.status, output: `${result.stdout}\n${result.stderr}`, tmp }
}

describe('temp dir hygiene', () => {
  it('gives this run one root inside the real temp dir', () => {
    const real = process.env.PORTE_VOIX_REAL_TMPDIR
    expect(real).toBeDefined()
    expect(dirname(tmpdir())).toBe(real)
    expect(basename(tmpdir())).toMatch(/^porte-voix-run-/)
  })

  it('deletes the run root, with what tests left in it', () => {
    const run = nestedRun(
      'inside',
      `  mkdtempSync(join(tmpdir(), 'porte-voix-core-'))
  if (!tmpdir().includes('porte-voix-run-')) throw new Error('not in the run root: ' + tmpdir())`,
    )
    expect(run.code, run.output).toBe(0)
    expect(readdirSync(run.tmp)).toEqual([])
  })

  it('fails the run when a test leaves porte-voix-* in the real temp dir', () => {
    const run = nestedRun(
      'outside',
      `  mkdtempSync(join(process.env.PORTE_VOIX_REAL_TMPDIR, 'porte-voix-leak-'))
  writeFileSync(join(process.env.PORTE_VOIX_REAL_TMPDIR, 'unrelated.txt'), '')`,
    )
    expect(run.code).not.toBe(0)
    expect(run.output).toContain('left 1 porte-voix-* entries')
    expect(run.output).toContain('porte-voix-leak×1')
    // Other new entries are named, not fatal: another process may have made them.
    expect(run.output).toContain('not named porte-voix-*')
    // The run root itself is gone all the same.
    expect(readdirSync(run.tmp).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^porte-voix-leak/), 'unrelated.txt']),
    )
    expect(readdirSync(run.tmp).some((name) => name.startsWith('porte-voix-run-'))).toBe(false)
  })
})
