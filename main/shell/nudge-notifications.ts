import { app, Notification, powerMonitor } from 'electron'
import type { Nudge } from '../../common/contract/api'
import type { CoreClient } from '../../common/contract/client'
import { nudgeNotificationText } from './nudge-text'

export type NudgeNotificationsOptions = {
  /** Main's current contract client (null while the core restarts). */
  client: () => CoreClient | null
  /** Open the popover on this item. */
  openItem: (itemId: string) => void
  /** The OS's preferred languages, for the 'system' language setting (default: Electron's). */
  systemLanguages?: () => readonly string[]
  log?: (line: string) => void
}

const SHARE = 0
const LATER = 1

/**
 * The core decides, main only shows: nudge.show becomes a desktop notification (title, why now;
 * Share / Later buttons where the OS offers actions, i.e. macOS). A click opens the popover on the
 * item; closing it unanswered counts as dismissed. Power resume and a changed time zone are
 * forwarded to the core, whose nudge timers run on the monotonic clock.
 */
export class NudgeNotifications {
  /** Shown notifications, kept referenced so they are not garbage-collected (and their events lost). */
  private readonly shown = new Map<string, Notification>()
  private zone = currentTimeZone()

  constructor(private readonly options: NudgeNotificationsOptions) {
    powerMonitor.on('resume', () => this.environmentChanged('resume'))
    // A laptop that travelled wakes in another zone; unlocking is a good moment to look.
    for (const event of ['resume', 'unlock-screen', 'user-did-become-active'] as const) {
      powerMonitor.on(event as 'resume', () => this.checkTimeZone())
    }
  }

  /** Call with each new client (the core restarted): nudges come as events on it. */
  listen(client: CoreClient): void {
    client.on('nudge.show', (nudge) => {
      void this.show(nudge).catch((error: unknown) =>
        this.options.log?.(`nudges: notification failed: ${String(error)}`),
      )
    })
  }

  private async show(nudge: Nudge): Promise<void> {
    if (!Notification.isSupported()) return
    // The person's language now (settings may have changed since the core planned the nudge).
    const language = await this.options
      .client()
      ?.call('settings.get', {})
      .then((settings) => settings.language)
      .catch(() => undefined)
    const systemLanguages = this.options.systemLanguages?.() ?? app.getPreferredSystemLanguages()
    const text = nudgeNotificationText(nudge, language, systemLanguages)
    const notification = new Notification({
      title: text.title,
      body: text.body,
      actions: [
        { type: 'button', text: text.share },
        { type: 'button', text: text.later },
      ],
    })
    let answered = false
    const done = () => {
      answered = true
      this.shown.delete(nudge.id)
    }
    notification.on('click', () => {
      done()
      this.call('nudge.opened', nudge.id)
      this.options.openItem(nudge.itemId)
    })
    notification.on('action', (_event, index) => {
      done()
      if (index === SHARE) {
        this.call('nudge.opened', nudge.id)
        this.options.openItem(nudge.itemId)
      } else if (index === LATER) {
        void this.options
          .client()
          ?.call('nudge.later', { id: nudge.id, until: 'hour' })
          .catch((error: unknown) => this.options.log?.(`nudges: later failed: ${String(error)}`))
      }
    })
    notification.on('close', () => {
      if (answered) return
      done()
      this.call('nudge.dismiss', nudge.id)
    })
    this.shown.set(nudge.id, notification)
    notification.show()
  }

  private call(method: 'nudge.opened' | 'nudge.dismiss', id: string): void {
    void this.options
      .client()
      ?.call(method, { id })
      .catch((error: unknown) => this.options.log?.(`nudges: ${method} failed: ${String(error)}`))
  }

  private checkTimeZone(): void {
    const zone = currentTimeZone()
    if (zone === this.zone) return
    this.zone = zone
    this.environmentChanged('time-zone')
  }

  /** The zone goes with each event: the core's process keeps the one it started with. */
  private environmentChanged(what: 'resume' | 'time-zone'): void {
    void this.options
      .client()
      ?.call('system.changed', { what, timeZone: this.zone })
      .catch((error: unknown) =>
        this.options.log?.(`nudges: ${what} not forwarded: ${String(error)}`),
      )
  }
}

function currentTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}
