import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { CORE_ENV, CORE_EXEC_ARGV, coreEnv } from '../../main/core/runtime-flags'

/**
 * Issue 7.8: the core's launch flags (the app's utilityProcess execArgv, the dev host's node
 * arguments) must not cost the start Node's own code cache. A V8 flag that enters V8's flag hash
 * makes Node reject the code cache built into its binary for every built-in module, which then
 * compiles from source on the first screen's path (http, net, streams, url…; NODE_DEBUG_NATIVE=
 * CODE_CACHE says which). --expose-gc did on every Node (the rest collections now take gc() at
 * run time); --max-semi-space-size does on Node 20 only, not on the Node ≥ 22 the app runs.
 */

/** Built-ins whose code cache Node rejected, loading a few with `flags`. */
function rejectedBuiltins(flags: readonly string[], env: NodeJS.ProcessEnv = {}): string[] {
  const result = spawnSync(
    process.execPath,
    [...flags, '-e', "require('node:http'); require('node:net'); require('node:url')"],
    { env: { ...process.env, ...env, NODE_DEBUG_NATIVE: 'CODE_CACHE' }, encoding: 'utf8' },
  )
  expect(result.status).toBe(0)
  return [...result.stderr.matchAll(/Code cache of (\S+) \S* ?is rejected/g)].map((m) => m[1] ?? '')
}

const NODE_MAJOR = Number(process.versions.node.split('.')[0])
/** Flags this Node is known to reject the built-ins' cache for, and the app's Node does not. */
const OLD_NODE_ONLY = NODE_MAJOR < 22 ? ['--max-semi-space-size=1'] : []

describe('core launch flags', () => {
  it('this Node accepts its built-in code cache without flags (the check sees rejections)', () => {
    expect(rejectedBuiltins([])).toEqual([])
    expect(rejectedBuiltins(['--expose-gc']).length).toBeGreaterThan(0)
  })

  it("keep the built-in code cache: the core's environment (malloc's settings) neither", () => {
    expect(rejectedBuiltins([], { NODE_OPTIONS: '--expose-gc' }).length).toBeGreaterThan(0)
    expect(rejectedBuiltins([], CORE_ENV)).toEqual([])
  })

  it('keep the built-in code cache: no flag of the core makes Node reject it', () => {
    for (const flag of CORE_EXEC_ARGV.filter((f) => !OLD_NODE_ONLY.includes(f))) {
      expect({ flag, rejected: rejectedBuiltins([flag]) }).toEqual({ flag, rejected: [] })
    }
  })

  it("the core's environment: CORE_ENV under the launcher's own, where an operator's setting wins", () => {
    expect(coreEnv({ PATH: '/bin' })).toEqual({ ...CORE_ENV, PATH: '/bin' })
    expect(coreEnv({ MALLOC_ARENA_MAX: '4' })).toEqual({ ...CORE_ENV, MALLOC_ARENA_MAX: '4' })
  })
})
