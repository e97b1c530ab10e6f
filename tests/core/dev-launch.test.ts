import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CORE_ENV, CORE_EXEC_ARGV } from '../../main/core/runtime-flags'
import { hostEntry } from '../helpers/core'
import { removeTempDir, spawnUntilListening, tempDir } from '../helpers/process'

/**
 * `npm run dev-host` (main/host/dev-launch.mjs, plain Node) starts the built host with the core's
 * own flags and environment, read from the one definition runtime-flags.ts reads (core-launch.json),
 * and a variable set in the shell wins. Linux: the host's arguments and environment from /proc.
 */

const ROOT = resolve(import.meta.dirname, '..', '..')

function procList(pid: number, file: 'cmdline' | 'environ'): string[] {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean)
}

/**
 * SIGKILL the host if `pid` is still it: gone already after the SIGTERM case, its pid may even
 * belong to another process by now, so its command line is checked first.
 */
function killIfHost(pid: number): void {
  let cmdline: string
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return // already gone
  }
  if (cmdline.includes(hostEntry())) process.kill(pid, 'SIGKILL')
}

describe('npm run dev-host', () => {
  it.runIf(process.platform === 'linux')(
    "starts the host with the core's flags and environment, the shell's settings winning",
    async () => {
      const dataDir = tempDir('pv-dev-launch-')
      const env: NodeJS.ProcessEnv = { ...process.env, PORTE_VOIX_HOST_ENTRY: hostEntry() }
      delete env.MALLOC_ARENA_MAX
      env.MALLOC_TRIM_THRESHOLD_ = '65536'
      const launcher = await spawnUntilListening({
        name: 'dev-host launcher',
        args: [
          resolve(ROOT, 'main/host/dev-launch.mjs'),
          ...['--data-dir', dataDir, '--port', '0'],
        ],
        cwd: ROOT,
        env,
        listening: /porte-voix core host listening on ws:\/\/127\.0\.0\.1:\d+/,
        timeoutMs: 30_000,
      })
      // Killed in `finally` as well as the launcher: a failed assertion must not leave the host
      // (the launcher's child) running, listening, with its data dir deleted under it.
      let hostPid: number | undefined
      try {
        const children = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, 'utf8')
        hostPid = Number(children.trim().split(' ')[0])
        expect(procList(hostPid, 'cmdline').slice(1)).toEqual([
          ...CORE_EXEC_ARGV,
          hostEntry(),
          ...['--data-dir', dataDir, '--port', '0'],
        ])
        const hostEnv = procList(hostPid, 'environ')
        expect(hostEnv).toContain(`MALLOC_ARENA_MAX=${CORE_ENV.MALLOC_ARENA_MAX}`)
        expect(hostEnv).toContain('MALLOC_TRIM_THRESHOLD_=65536')
        expect(hostEnv.filter((line) => line.startsWith('MALLOC_TRIM_THRESHOLD_='))).toHaveLength(1)
        // SIGTERM is forwarded: the host shuts down and its exit code is the launcher's.
        await launcher.signal('SIGTERM')
        expect(await launcher.exited).toEqual({ code: 0, signal: null })
        expect(launcher.logs()).toContain('SIGTERM: shutting down')
      } finally {
        if (hostPid) killIfHost(hostPid)
        await launcher.signal('SIGKILL')
        removeTempDir(dataDir)
      }
    },
  )

  it('says what to run when there is no built host', () => {
    const result = spawnSync(process.execPath, [resolve(ROOT, 'main/host/dev-launch.mjs')], {
      env: { ...process.env, PORTE_VOIX_HOST_ENTRY: resolve(ROOT, 'no-such-host.js') },
      encoding: 'utf8',
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/no built host at .*no-such-host\.js: run `npm run build` first/)
  })
})
