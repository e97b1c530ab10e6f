import path from 'node:path'
import { z } from 'zod'

export const HostOptions = z.object({
  dataDir: z.string().min(1, '--data-dir is required'),
  port: z.number().int().min(0).max(65_535),
  host: z.string().min(1),
  staticDir: z.string().nullable(),
  /** Browser origins allowed to connect besides the host's own (e.g. a Vite dev server). */
  allowOrigins: z.array(z.string()),
  maxFrameBytes: z.number().int().positive(),
  maxBackoffMs: z.number().int().positive().optional(),
  compactEvery: z.number().int().positive().optional(),
})
export type HostOptions = z.infer<typeof HostOptions>

const USAGE = `usage: tsx main/host/main.ts --data-dir DIR [--port 0] [--host 127.0.0.1]
       [--static DIR] [--allow-origin URL]... [--max-frame-bytes N] [--max-backoff-ms N]
       [--compact-every N]`

/** Read flags (environment variables PORTE_VOIX_CORE_* as fallbacks). */
export function parseHostArgs(argv: readonly string[], env: NodeJS.ProcessEnv): HostOptions {
  const raw: Record<string, unknown> = {
    dataDir: env.PORTE_VOIX_CORE_DATA_DIR,
    port: Number(env.PORTE_VOIX_CORE_PORT ?? 0),
    host: env.PORTE_VOIX_CORE_HOST ?? '127.0.0.1',
    staticDir: null,
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
  return parsed.data
}
