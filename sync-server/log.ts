/**
 * One line per event, `<ISO time> <LEVEL> <message> key=value …`, on stdout, so an operator can
 * grep it and tests can parse it. Values with spaces or quotes are JSON-quoted.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>

export type Logger = {
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value)
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
}

export function formatLine(level: string, message: string, fields: LogFields = {}): string {
  const parts = [new Date().toISOString(), level, message]
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) parts.push(`${key}=${formatValue(value)}`)
  }
  return parts.join(' ')
}

export function createLogger(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  return {
    info: (message, fields) => write(formatLine('INFO', message, fields)),
    warn: (message, fields) => write(formatLine('WARN', message, fields)),
    error: (message, fields) => write(formatLine('ERROR', message, fields)),
  }
}

/** For library use (benchmarks, admin tool) where relay events are noise. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
