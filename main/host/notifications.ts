import { createRequire } from 'node:module'
import path from 'node:path'
import type { Nudge } from '../../common/contract/api'

/** Through require(): node:fs's ES-module facade loads its promises API on the start's path. */
const { appendFileSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs')

/** Where the dev host records the nudges the core showed, one JSON line each. */
export const NOTIFICATIONS_FILE = 'notifications.jsonl'

/**
 * The dev host has no desktop to notify: it appends each nudge to
 * `<dataDir>/notifications.jsonl` (as it does for opened URLs) and logs it; the page it serves
 * gets the same nudge.show event and shows it as a banner.
 */
export function notificationsFile(dataDir: string, log: (line: string) => void) {
  const file = path.join(dataDir, NOTIFICATIONS_FILE)
  return (nudge: Nudge): void => {
    try {
      appendFileSync(file, `${JSON.stringify(nudge)}\n`, 'utf8')
      log(`notifications: ${nudge.network} ${nudge.itemId}: ${nudge.whyText}`)
    } catch (error) {
      log(`notifications: could not record a nudge: ${String(error)}`)
    }
  }
}
