import { useState } from 'react'
import {
  capOf,
  DEFAULT_NUDGE_SETTINGS,
  type NudgeSettings,
  SNOOZE_KINDS,
  type SnoozeKind,
} from '../../../../common/nudges/settings'
import { useLanguage, useStore, useT } from '../../state/store'

/**
 * Nudges in Settings: pause, snooze (1 h, this evening, tomorrow), working days, caps per
 * network and the minimum gap. Saved at once (apart from the form's draft above): the scheduler
 * replans on every change.
 */
export function NudgeSettingsSection() {
  const t = useT()
  const language = useLanguage()
  const client = useStore((state) => state.client)
  const settings = useStore((state) => state.settings)
  const [snoozedUntil, setSnoozedUntil] = useState<string | null>(null)
  if (!client || !settings) return null
  const nudges = settings.nudges ?? DEFAULT_NUDGE_SETTINGS
  const save = (patch: Partial<NudgeSettings>) =>
    void client.call('settings.update', { nudges: { ...nudges, ...patch } }).catch(() => {})
  const dayName = new Intl.DateTimeFormat(language, { weekday: 'short', timeZone: 'UTC' })
  const snooze = (until: SnoozeKind) =>
    void client
      .call('nudge.later', { until })
      .then((result) => setSnoozedUntil(result.snoozedUntil))
      .catch(() => {})
  const time = new Intl.DateTimeFormat(language, {
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  })
  return (
    <fieldset className="nudge-settings" data-testid="nudge-settings">
      <legend>{t('nudges.settings')}</legend>
      <label className="check">
        <input
          type="checkbox"
          data-testid="nudges-paused"
          checked={settings.nudgesPaused}
          onChange={(event) =>
            void client
              .call('settings.update', { nudgesPaused: event.target.checked })
              .catch(() => {})
          }
        />
        {t('nudges.pause')}
      </label>
      <div className="row small">
        {t('nudges.snooze')}{' '}
        {SNOOZE_KINDS.map((kind) => (
          <button
            key={kind}
            type="button"
            className="link"
            data-testid={`snooze-${kind}`}
            onClick={() => snooze(kind)}
          >
            {t(`nudges.snooze.${kind}`)}
          </button>
        ))}
        {snoozedUntil ? (
          <span className="muted">
            {' '}
            · {t('nudges.snoozedUntil', { when: time.format(new Date(snoozedUntil)) })}
          </span>
        ) : null}
      </div>
      <div className="row small">
        {t('nudges.workingDays')}{' '}
        {[0, 1, 2, 3, 4, 5, 6].map((day) => (
          <label key={day} className="check">
            <input
              type="checkbox"
              checked={nudges.workingDays.includes(day)}
              onChange={(event) =>
                save({
                  workingDays: event.target.checked
                    ? [...nudges.workingDays, day].sort()
                    : nudges.workingDays.filter((d) => d !== day),
                })
              }
            />
            {dayName.format(Date.UTC(2026, 2, 2 + day))}
          </label>
        ))}
      </div>
      <div className="row small">
        {settings.networks.map((network) => (
          <label key={network}>
            {t('nudges.cap', { network: t(`network.${network}`) })}{' '}
            <input
              type="number"
              min={0}
              max={10}
              data-testid={`nudge-cap-${network}`}
              value={capOf(nudges, network)}
              onChange={(event) => {
                const value = Math.max(0, Math.min(10, Math.round(Number(event.target.value) || 0)))
                save({ caps: { ...nudges.caps, [network]: value } })
              }}
            />
          </label>
        ))}
      </div>
      <label className="small">
        {t('nudges.gap')}{' '}
        <select
          value={nudges.minGapMinutes}
          onChange={(event) => save({ minGapMinutes: Number(event.target.value) })}
        >
          {[30, 60, 120, 240, 480].map((minutes) => (
            <option key={minutes} value={minutes}>
              {t('nudges.gapHours', { n: minutes / 60 })}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  )
}
