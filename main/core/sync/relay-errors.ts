/**
 * Turning what the WebSocket layer reports into words a person can act on. Under Node the `ws`
 * package reports a refused upgrade as an error event "Unexpected server response: 401".
 */
export type ConnectionProblem =
  | { kind: 'refused'; status: number; message: string }
  | { kind: 'unreachable'; message: string }

export function describeConnectionError(event: unknown, relayUrl: string): ConnectionProblem {
  const raw = errorText(event)
  const status = /Unexpected server response: (\d{3})/.exec(raw)?.[1]
  if (status === '401' || status === '403') {
    return {
      kind: 'refused',
      status: Number(status),
      message:
        status === '401'
          ? 'The relay refused this device’s invitation (HTTP 401: expired or invalid token). Ask your admin for a new invitation.'
          : 'The relay refused access to this workspace (HTTP 403). Ask your admin for a new invitation.',
    }
  }
  return {
    kind: 'unreachable',
    message: `Cannot reach the relay at ${relayUrl}${raw ? ` (${raw})` : ''}; retrying.`,
  }
}

/** A close code in 4400–4499 is the relay deciding that reconnecting cannot help. */
export function describeTerminalClose(code: number, reason: string): string {
  return `The relay closed the connection for good (${code}${reason ? `: ${reason}` : ''}). Ask your admin for a new invitation.`
}

function errorText(event: unknown): string {
  if (typeof event !== 'object' || event === null) return ''
  const record = event as { message?: unknown; error?: unknown }
  if (typeof record.message === 'string') return record.message
  if (record.error instanceof Error) return record.error.message
  return ''
}
