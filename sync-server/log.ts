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

/** The last line's time, reused by the lines of the same millisecond (a connect burst). */
let lastMs = -1
let lastIso = ''

function isoNow(): string {
  const ms = Date.now()
  if (ms !== lastMs) {
    lastMs = ms
    lastIso = new Date(ms).toISOString()
  }
  return lastIso
}

export function formatLine(level: string, message: string, fields: LogFields = {}): string {
  // One string built in place (no entries array, no parts array): a line per connect.
  let line = `${isoNow()} ${level} ${message}`
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue
    const value = fields[key]
    if (value !== undefined) line += ` ${key}=${formatValue(value)}`
  }
  return line
}

/**
 * stdout, one write per line, at once. Batching lines per event-loop turn (tried for connects,
 * issue 11.3) saved a system call per line but wrote a line after the effect it names had left
 * on a socket, lost the last turn's lines on a crash, and added an exit listener per logger.
 */
function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`)
}

export function createLogger(write: (line: string) => void = stdoutLine): Logger {
  return {
    info: (message, fields) => write(formatLine('INFO', message, fields)),
    warn: (message, fields) => write(formatLine('WARN', message, fields)),
    error: (message, fields) => write(formatLine('ERROR', message, fields)),
  }
}

/** For library use (benchmarks, admin tool) where relay events are noise. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
