import { BlockList, isIP } from 'node:net'
import path from 'node:path'
// zod/mini: the host's flags are read before the first screen is answered, and zod's full build
// (loaded by the contract) would be compiled on that path (core/start.ts).
import * as z from 'zod/mini'

const count = (what: string) =>
  z.number(`${what} must be a number`).check(z.int(`${what} must be an integer`))
const positive = (what: string) => count(what).check(z.positive(`${what} must be positive`))

export const HostOptions = z.object({
  dataDir: z.string().check(z.minLength(1, '--data-dir is required')),
  port: count('--port').check(
    z.minimum(0, '--port must be 0–65535'),
    z.maximum(65_535, '--port must be 0–65535'),
  ),
  host: z.string().check(z.minLength(1, '--host must not be empty')),
  /** Listen on a non-loopback --host anyway (the core it serves has no authentication). */
  unsafeListenAnywhere: z.boolean(),
  staticDir: z.nullable(z.string()),
  /** Browser origins allowed to connect besides the host's own (e.g. a Vite dev server). */
  allowOrigins: z.array(z.string()),
  maxFrameBytes: positive('--max-frame-bytes'),
  maxBackoffMs: z.optional(positive('--max-backoff-ms')),
  compactEvery: z.optional(positive('--compact-every')),
})
export type HostOptions = z.infer<typeof HostOptions>

const USAGE = `usage: npm run dev-host -- --data-dir DIR [--port 0] [--host 127.0.0.1]
       [--static DIR] [--allow-origin URL]... [--max-frame-bytes N] [--max-backoff-ms N]
       [--compact-every N] [--unsafe-listen-anywhere]`

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
// Also matches IPv4-mapped forms such as ::ffff:127.0.0.1.
LOOPBACK.addAddress('::1', 'ipv6')

/** Whether only this machine can reach `host`: 127.0.0.0/8, ::1 or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true
  const family = isIP(host)
  // Any other name may resolve to a routable address: not loopback.
  if (family === 0) return false
  return LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6')
}

/** Read flags (environment variables PORTE_VOIX_CORE_* as fallbacks). */
export function parseHostArgs(argv: readonly string[], env: NodeJS.ProcessEnv): HostOptions {
  const raw: Record<string, unknown> = {
    dataDir: env.PORTE_VOIX_CORE_DATA_DIR,
    port: Number(env.PORTE_VOIX_CORE_PORT ?? 0),
    host: env.PORTE_VOIX_CORE_HOST ?? '127.0.0.1',
    staticDir: null,
    unsafeListenAnywhere: false,
    allowOrigins: [] as string[],
    maxFrameBytes: 32 * 1024 * 1024,
  }
  const origins: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = argv[i + 1]
    const need = (): string => {
      if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`)
      i++
      return value
    }
    switch (flag) {
      case '--data-dir':
        raw.dataDir = path.resolve(need())
        break
      case '--port':
        raw.port = Number(need())
        break
      case '--host':
        raw.host = need()
        break
      case '--static':
        raw.staticDir = path.resolve(need())
        break
      case '--allow-origin':
        origins.push(need())
        break
      case '--max-frame-bytes':
        raw.maxFrameBytes = Number(need())
        break
      case '--max-backoff-ms':
        raw.maxBackoffMs = Number(need())
        break
      case '--compact-every':
        raw.compactEvery = Number(need())
        break
      case '--unsafe-listen-anywhere':
        raw.unsafeListenAnywhere = true
        break
      case '--help':
        throw new Error(USAGE)
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`)
    }
  }
  raw.allowOrigins = origins
  const parsed = HostOptions.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    throw new Error(`${issues.join('; ')}\n${USAGE}`)
  }
  // Whoever reaches the host drives the core (its workspace token included): loopback only,
  // unless asked for explicitly.
  if (!parsed.data.unsafeListenAnywhere && !isLoopbackHost(parsed.data.host)) {
    throw new Error(
      `--host ${parsed.data.host} is not a loopback address and the core host has no ` +
        `authentication; pass --unsafe-listen-anywhere to listen there anyway\n${USAGE}`,
    )
  }
  return parsed.data
}
