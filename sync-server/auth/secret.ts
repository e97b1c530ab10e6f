import { randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../config'
import { ensurePrivateDir } from '../persistence/database'

export const SECRET_ENV = 'PORTE_VOIX_RELAY_SECRET'
const MIN_SECRET_LENGTH = 32

/**
 * The HS256 signing secret: from the environment if set (deployments with a secret store),
 * otherwise generated once into `<dataDir>/secret` (mode 0600) so restarts keep tokens valid.
 */
export function loadSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[SECRET_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_SECRET_LENGTH) {
      // An operator mistake: one line at start (ConfigError), never a stack trace.
      throw new ConfigError(
        `${SECRET_ENV} is ${fromEnv.length} characters long; it must be at least ${MIN_SECRET_LENGTH} (e.g. openssl rand -hex 32)`,
      )
    }
    return fromEnv
  }
  ensurePrivateDir(dataDir)
  const file = join(dataDir, 'secret')
  try {
    const existing = readFileSync(file, 'utf8').trim()
    if (existing.length >= MIN_SECRET_LENGTH) return existing
    throw new ConfigError(
      `${file} is too short to be a signing secret; delete it to generate a new one`,
    )
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const secret = randomBytes(32).toString('hex')
  try {
    // 'wx' so that two processes starting together cannot overwrite each other's secret.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadSecret(dataDir, env)
    throw error
  }
  chmodSync(file, 0o600)
  return secret
}
