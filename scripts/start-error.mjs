// One failure class for `npm start`: its message is the single line the person reads.
export class StartError extends Error {
  name = 'StartError'
}

// Network failures as Node, undici, got and node-gyp word them: these get the "offline" advice.
const NETWORK =
  /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|socket hang up|network/i

export function looksOffline(output) {
  return NETWORK.test(output)
}

/** The first line of `output` that reads like an error, trimmed, for a one-line reason. */
export function firstErrorLine(output) {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('at '))
  const error = lines.find((line) => /error|failed|ENOTFOUND|ECONN|EAI_AGAIN/i.test(line))
  return (error ?? lines[0] ?? 'no output').replace(/^gyp ERR! /, '').slice(0, 200)
}
