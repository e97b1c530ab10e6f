import { parseArgs } from 'node:util'
import { z } from 'zod'
import { DOC_NAMES } from '../common/doc/rooms'
import { describeIssues } from '../common/model/validation'

/**
 * Relay configuration from flags, then environment variables, then defaults.
 * Everything is validated so that a typo fails at start with a clear message, not at 3 a.m.
 * The flag table below is also what `--help` prints, and the admin tool parses its flags with
 * the same parseFlags, so the two never disagree on a flag or its variable.
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
  /** Read-only connections (employees) get stored updates merged this often; 0 = at once. */
  readerFanoutMs: intFrom(0, 60_000),
  /** The board document is rebuilt at most this long after a share, click or conversion. */
  boardDebounceMs: intFrom(10, 60_000),
  /** Keepalive: a connection that does not answer a ping within one interval is dropped. */
  pingIntervalMs: intFrom(100, 3600 * 1000),
  /** SQLite `synchronous` level; see persistence/database.ts for why `normal` is the default. */
  synchronous: SyncMode,
  /** SQLite: appends written to the relay's update journal first, folded into SQLite later. */
  updateJournal: z.enum(['on', 'off']),
  /** Lifetime of the device tokens handed out by POST /api/v1/token/renew. */
  deviceTokenSeconds: intFrom(10, 365 * 86_400),
  /** Sockets one member may hold at once; each device opens one per document (3). */
  maxConnectionsPerMember: intFrom(1, 1000),
  /** How often the relay looks for membership changes made by the admin tool. */
  membershipPollMs: intFrom(50, 60_000),
  /**
   * Where visitors reach this relay (`https://go.example.com`): short links are
   * `<publicUrl>/s/<code>`; published to members in the directory. Unset: links stay direct.
   */
  publicUrl: z
    .string()
    .trim()
    .url()
    .refine(
      (u) => /^https?:\/\/[^/?#@]+(\/[^?#]*)?$/i.test(u),
      'public URL must be http(s) with no query',
    )
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  /** Several nodes: documents in Redis streams (redis://…), snapshots in PostgreSQL (both). */
  redisUrl: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/\S+$/, 'Redis URL must be redis:// or rediss://')
    .optional(),
  postgresUrl: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'PostgreSQL URL must be postgres:// or postgresql://')
    .optional(),
})
export type RelayConfig = z.infer<typeof RelayConfig>

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 4455,
  dataDir: './.relay-data',
  maxMessageBytes: 1024 * 1024,
  idleUnloadMs: 30_000,
  compactEvery: 500,
  // Employees get champions' edits merged once a second; writers get each at once. A champion
  // typing to 1,000 employees then costs 0.18× stock's CPU per keystroke on a quiet machine
  // (BENCHMARKS.md, session 7: 0.29× at 500 ms, 0.24× at 750 ms — the target is ≤ 0.2×).
  readerFanoutMs: 1_000,
  boardDebounceMs: 2_000,
  pingIntervalMs: 30_000,
  synchronous: 'normal',
  // A turn's appends as one write() to the journal instead of a SQLite commit: same guarantee as
  // synchronous=normal, 0.90× the CPU per edit with 500 busy rooms (BENCHMARKS.md, session 7).
  updateJournal: 'on',
  deviceTokenSeconds: 30 * 86_400,
  // Every document of a workspace on each of 4 devices (4 × 4 with the board).
  maxConnectionsPerMember: DOC_NAMES.length * 4,
  membershipPollMs: 500,
} as const

/** One command-line flag: its placeholder, its environment variable if any, and what it does. */
export type Flag = { arg?: string; env?: string; help: string; boolean?: boolean }
export type FlagTable = Record<string, Flag>

export const DATA_DIR_FLAG: Flag = {
  arg: '<dir>',
  env: 'PORTE_VOIX_RELAY_DATA',
  help: `SQLite file and secret (default ${DEFAULTS.dataDir})`,
}

export const RELAY_FLAGS = {
  host: { arg: '<host>', env: 'PORTE_VOIX_RELAY_HOST', help: 'listen address (default 127.0.0.1)' },
  port: {
    arg: '<port>',
    env: 'PORTE_VOIX_RELAY_PORT',
    help: 'listen port, 0 = any free port (default 4455)',
  },
  'data-dir': DATA_DIR_FLAG,
  'max-message-bytes': {
    arg: '<n>',
    env: 'PORTE_VOIX_RELAY_MAX_MESSAGE_BYTES',
    help: 'largest accepted frame (default 1048576)',
  },
  'idle-unload-ms': {
    arg: '<ms>',
    env: 'PORTE_VOIX_RELAY_IDLE_UNLOAD_MS',
    help: 'unload rooms idle this long (default 30000)',
  },
  'compact-every': {
    arg: '<n>',
    env: 'PORTE_VOIX_RELAY_COMPACT_EVERY',
    help: 'compact a room every n updates (default 500)',
  },
  'reader-fanout-ms': {
    arg: '<ms>',
    env: 'PORTE_VOIX_RELAY_READER_FANOUT_MS',
    help: 'merge updates sent to read-only connections over this window; writers get each at once (default 1000; 0 = at once)',
  },
  'board-debounce-ms': {
    arg: '<ms>',
    env: 'PORTE_VOIX_RELAY_BOARD_DEBOUNCE_MS',
    help: 'rebuild the board (team results) at most this long after new results (default 2000)',
  },
  'ping-interval-ms': {
    arg: '<ms>',
    env: 'PORTE_VOIX_RELAY_PING_INTERVAL_MS',
    help: 'keepalive ping interval (default 30000)',
  },
  synchronous: {
    arg: 'normal|full',
    env: 'PORTE_VOIX_RELAY_SYNCHRONOUS',
    help: 'SQLite durability level (default normal)',
  },
  'update-journal': {
    arg: 'on|off',
    env: 'PORTE_VOIX_RELAY_UPDATE_JOURNAL',
    help: 'SQLite: each turn of edits is one write to an append-only journal, folded into SQLite later (default on; off = a SQLite commit per turn)',
  },
  'device-token-seconds': {
    arg: '<s>',
    env: 'PORTE_VOIX_RELAY_DEVICE_TOKEN_SECONDS',
    help: 'lifetime of renewed device tokens (default 2592000 = 30 days)',
  },
  'max-connections-per-member': {
    arg: '<n>',
    env: 'PORTE_VOIX_RELAY_MAX_CONNECTIONS_PER_MEMBER',
    help: `sockets one member may hold, one per document per device (default ${DOC_NAMES.length * 4})`,
  },
  'public-url': {
    arg: '<url>',
    env: 'PORTE_VOIX_RELAY_PUBLIC_URL',
    help: 'public address for tracked short links <url>/s/<code> (default: none, direct links)',
  },
  'redis-url': {
    arg: '<url>',
    env: 'PORTE_VOIX_RELAY_REDIS_URL',
    help: 'several nodes: document streams in this Redis (with --postgres-url; default: embedded SQLite)',
  },
  'postgres-url': {
    arg: '<url>',
    env: 'PORTE_VOIX_RELAY_POSTGRES_URL',
    help: 'several nodes: snapshots and the relational tables (members, shares, clicks…) in this PostgreSQL (with --redis-url)',
  },
  'membership-poll-ms': {
    arg: '<ms>',
    env: 'PORTE_VOIX_RELAY_MEMBERSHIP_POLL_MS',
    help: 'how often admin changes are looked for (default 500)',
  },
  help: { boolean: true, help: 'print this help and exit' },
} as const satisfies FlagTable

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** `  --flag <arg>   what it does (env NAME)`, aligned, one line per flag. */
export function formatFlags(flags: FlagTable): string {
  const heads = Object.entries(flags).map(([name, f]) => `  --${name}${f.arg ? ` ${f.arg}` : ''}`)
  const width = Math.max(...heads.map((h) => h.length)) + 2
  return Object.values(flags)
    .map(
      (f, i) => `${(heads[i] as string).padEnd(width)}${f.help}${f.env ? ` (env ${f.env})` : ''}`,
    )
    .join('\n')
}

export const USAGE = `Usage: npm run relay -- [options]
${formatFlags(RELAY_FLAGS)}
A flag wins over its environment variable. The signing secret comes from PORTE_VOIX_RELAY_SECRET
(at least 32 characters), or is generated once in <data-dir>/secret.`

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

/**
 * Parse `argv` against a flag table: flags first, then their environment variables. Returns the
 * values by camelCase key (`data-dir` → `dataDir`), empty strings treated as unset.
 */
export function parseFlags(
  flags: FlagTable,
  argv: string[],
  env: NodeJS.ProcessEnv,
  usage: string,
  allowPositionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(flags).map(([name, f]) => [
          name,
          { type: f.boolean ? 'boolean' : 'string', ...(name === 'help' ? { short: 'h' } : {}) },
        ]),
      ),
      strict: true,
      allowPositionals,
    })
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${usage}`)
  }
  const values: Record<string, string | boolean | undefined> = {}
  for (const [name, flag] of Object.entries(flags)) {
    const value = parsed.values[name] ?? (flag.env ? env[flag.env] : undefined)
    if (value !== undefined && value !== '') values[camel(name)] = value as string | boolean
  }
  return { values, positionals: parsed.positionals }
}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h')
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): RelayConfig {
  const { values } = parseFlags(RELAY_FLAGS, argv, env, USAGE)
  // `help` is handled before (wantsHelp); zod drops it as an unknown key.
  const parsed = RelayConfig.safeParse({ ...DEFAULTS, ...values })
  if (!parsed.success) {
    throw new ConfigError(`Invalid relay configuration: ${describeIssues(parsed.error).join('; ')}`)
  }
  if ((parsed.data.redisUrl === undefined) !== (parsed.data.postgresUrl === undefined))
    throw new ConfigError(
      'Invalid relay configuration: --redis-url and --postgres-url go together (several nodes), or neither (SQLite)',
    )
  return parsed.data
}
