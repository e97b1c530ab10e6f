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

/**
 * stdout, one write per event-loop turn: a pipe or file write is a system call each (two log
 * lines per connect were a visible part of a connect's CPU, issue 11.3). Lines are in order and
 * out by the next turn; what is pending is written on exit (process.exit included).
 */
function batchedStdout(): (line: string) => void {
  let pending = ''
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (pending === '') return
    const text = pending
    pending = ''
    process.stdout.write(text)
  }
  process.once('exit', flush)
  return (line) => {
    pending += `${line}\n`
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }
}

export function createLogger(write: (line: string) => void = batchedStdout()): Logger {
  return {
    info: (message, fields) => write(formatLine('INFO', message, fields)),
    warn: (message, fields) => write(formatLine('WARN', message, fields)),
    error: (message, fields) => write(formatLine('ERROR', message, fields)),
  }
}

/** For library use (benchmarks, admin tool) where relay events are noise. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
