import { describe, expect, it } from 'vitest'
import { removeTempDir, tempDir } from '../helpers/process'
import { runRelayCli } from '../helpers/relay'
import { freePort } from '../helpers/servers'

describe('relay configuration for several nodes', () => {
  it('lists --redis-url and --postgres-url with their environment variables in --help', async () => {
    const { code, stdout } = await runRelayCli('main', ['--help'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/--redis-url <url>.*PORTE_VOIX_RELAY_REDIS_URL/)
    expect(stdout).toMatch(/--postgres-url <url>.*PORTE_VOIX_RELAY_POSTGRES_URL/)
  })

  it('refuses one without the other, and unreachable storage, in one line', async () => {
    const dataDir = tempDir('porte-voix-cluster-config-')
    try {
      const port = await freePort()
      const alone = await runRelayCli('main', [
        '--data-dir',
        dataDir,
        '--port',
        '0',
        '--redis-url',
        `redis://127.0.0.1:${port}`,
      ])
      expect(alone.code).toBe(1)
      expect(alone.stderr.trim()).toMatch(
        /^porte-voix relay failed to start: .*--redis-url and --postgres-url go together[^\n]*$/,
      )
      const unreachable = await runRelayCli('main', ['--data-dir', dataDir, '--port', '0'], {
        ...process.env,
        PORTE_VOIX_RELAY_REDIS_URL: `redis://127.0.0.1:${port}`,
        PORTE_VOIX_RELAY_POSTGRES_URL: `postgres://porte@127.0.0.1:${port}/postgres`,
      })
      expect(unreachable.code).toBe(1)
      const last = unreachable.stderr.trim().split('\n').at(-1)
      expect(last).toMatch(
        new RegExp(
          `^porte-voix relay failed to start: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`,
        ),
      )
      expect(last).toMatch(/ECONNREFUSED/)
    } finally {
      removeTempDir(dataDir)
    }
  })
})
