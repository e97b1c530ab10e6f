export const PROTOCOL = 'porte-voix'

/** The `porte-voix://` link among a process's arguments (Windows and Linux pass it that way). */
export function findDeepLink(argv: readonly string[]): string | null {
  return argv.find((arg) => arg.toLowerCase().startsWith(`${PROTOCOL}://`)) ?? null
}
