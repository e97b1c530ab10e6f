import { loadSecret } from './auth/secret'
import { ConfigError, parseConfig, USAGE, wantsHelp } from './config'
import { createLogger } from './log'
import { DatabaseOpenError } from './persistence/database'
import { DataDirLockedError } from './persistence/lock'
import { startRelay } from './relay'
import { StorageStartError } from './storage/redis/doc-store'

/** `npm run relay -- [flags]`: start a relay and stop it cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  if (wantsHelp(process.argv.slice(2))) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  const log = createLogger()
  const config = parseConfig(process.argv.slice(2), process.env)
  const secret = loadSecret(config.dataDir)
  const relay = await startRelay(config, secret, log)
  log.info('relay started', {
    dataDir: config.dataDir,
    maxMessageBytes: config.maxMessageBytes,
    idleUnloadMs: config.idleUnloadMs,
    compactEvery: config.compactEvery,
    synchronous: config.synchronous,
    deviceTokenSeconds: config.deviceTokenSeconds,
    maxConnectionsPerMember: config.maxConnectionsPerMember,
    storage: config.redisUrl ? 'redis+postgres' : 'sqlite',
  })
  // The one line tests and scripts wait for; keep its format stable.
  process.stdout.write(`porte-voix relay listening on ws://${relay.host}:${relay.port}\n`)

  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    log.info('shutting down', { signal })
    relay.close().then(
      () => {
        log.info('relay stopped')
        process.exit(0)
      },
      (error: unknown) => {
        log.error('shutdown failed', { error: (error as Error).message })
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error: unknown) => {
  // Operator mistakes get a one-line message; anything else the full stack.
  const known =
    error instanceof ConfigError ||
    error instanceof DataDirLockedError ||
    error instanceof StorageStartError ||
    error instanceof DatabaseOpenError ||
    (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
  const message = known ? (error as Error).message : ((error as Error).stack ?? String(error))
  process.stderr.write(`porte-voix relay failed to start: ${message}\n`)
  process.exit(1)
})
