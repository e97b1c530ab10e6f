import { parseArgs } from 'node:util'
import { z } from 'zod'
import { describeIssues } from '../common/model/validation'

/**
 * Relay configuration from flags, then environment variables, then defaults.
 * Everything is validated so that a typo fails at start with a clear message, not at 3 a.m.
 */
export const SyncMode = z.enum(['normal', 'full'])
export type SyncMode = z.infer<typeof SyncMode>

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max)

export const RelayConfig = z.object({
  host: z.string().trim().min(1),
  port: intFrom(0, 65_535),
  dataDir: z.string().trim().min(1),
  /** Frames larger than this are refused by ws with close code 1009. */
  maxMessageBytes: intFrom(1024, 256 * 1024 * 1024),
  /** A room with no connection for this long is compacted and dropped from memory. */
  idleUnloadMs: intFrom(0, 24 * 3600 * 1000),
  /** Compact a room once this many updates were appended since its last snapshot. */
  compactEvery: intFrom(1, 10_000_000),
  /** Keepalive: a connection that does not answer a ping within one interval is dropped. */
  pingIntervalMs: intFrom(100, 3600 * 1000),
  /** SQLite `synchronous` level; see persistence/database.ts for why `normal` is the default. */
  synchronous: SyncMode,
})
export type RelayConfig = z.infer<typeof RelayConfig>

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 4455,
  dataDir: './.relay-data',
  maxMessageBytes: 1024 * 1024,
  idleUnloadMs: 30_000,
  compactEvery: 500,
  pingIntervalMs: 30_000,
  synchronous: 'normal',
} as const

const OPTIONS = {
  host: { type: 'string', env: 'PORTE_VOIX_RELAY_HOST' },
  port: { type: 'string', env: 'PORTE_VOIX_RELAY_PORT' },
  'data-dir': { type: 'string', env: 'PORTE_VOIX_RELAY_DATA', key: 'dataDir' },
  'max-message-bytes': {
    type: 'string',
    env: 'PORTE_VOIX_RELAY_MAX_MESSAGE_BYTES',
    key: 'maxMessageBytes',
  },
  'idle-unload-ms': { type: 'string', env: 'PORTE_VOIX_RELAY_IDLE_UNLOAD_MS', key: 'idleUnloadMs' },
  'compact-every': { type: 'string', env: 'PORTE_VOIX_RELAY_COMPACT_EVERY', key: 'compactEvery' },
  'ping-interval-ms': {
    type: 'string',
    env: 'PORTE_VOIX_RELAY_PING_INTERVAL_MS',
    key: 'pingIntervalMs',
  },
  synchronous: { type: 'string', env: 'PORTE_VOIX_RELAY_SYNCHRONOUS' },
} as const

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

export const USAGE = `Usage: npm run relay -- [options]
  --host <host>               listen address (default 127.0.0.1; env PORTE_VOIX_RELAY_HOST)
  --port <port>               listen port, 0 = any free port (default 4455; env PORTE_VOIX_RELAY_PORT)
  --data-dir <dir>            SQLite file and secret (default ./.relay-data; env PORTE_VOIX_RELAY_DATA)
  --max-message-bytes <n>     largest accepted frame (default 1048576)
  --idle-unload-ms <ms>       unload rooms idle this long (default 30000)
  --compact-every <n>         compact a room every n updates (default 500)
  --ping-interval-ms <ms>     keepalive ping interval (default 30000)
  --synchronous normal|full   SQLite durability level (default normal)
The signing secret comes from PORTE_VOIX_RELAY_SECRET, or is generated once in <data-dir>/secret.`

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): RelayConfig {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(OPTIONS).map(([flag, o]) => [flag, { type: o.type }]),
      ),
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${USAGE}`)
  }
  const raw: Record<string, unknown> = { ...DEFAULTS }
  for (const [flag, option] of Object.entries(OPTIONS)) {
    const key = 'key' in option ? option.key : flag
    const value = values[flag] ?? env[option.env]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const parsed = RelayConfig.safeParse(raw)
  if (!parsed.success) {
    throw new ConfigError(`Invalid relay configuration: ${describeIssues(parsed.error).join('; ')}`)
  }
  return parsed.data
}
