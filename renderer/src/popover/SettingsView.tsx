import { type FormEvent, useMemo, useState } from 'react'
import type { Settings } from '../../../common/contract/api'
import { NETWORKS } from '../../../common/model/networks'
import { describeError } from '../state/errors'
import { type SettingsDraft, settingsDraft, settingsPatch } from '../state/logic'
import { useStore, useT } from '../state/store'
import { AccountSection } from './AccountSection'
import { FormMessage, type FormOutcome } from './FormMessage'
import { NudgeSettingsSection } from './nudges/NudgeSettingsSection'
import { ResultsSettingsSection } from './stats/ResultsSettingsSection'

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone')
  } catch {
    return []
  }
}

export function SettingsView() {
  const settings = useStore((state) => state.settings)
  if (!settings) return <p className="loading">…</p>
  return (
    <>
      <SettingsForm settings={settings} />
      <AccountSection />
    </>
  )
}

function SettingsForm({ settings }: { settings: Settings }) {
  const t = useT()
  const save = useStore((state) => state.saveSettings)
  const [draft, setDraft] = useState(() => settingsDraft(settings))
  const [busy, setBusy] = useState(false)
  // A key rather than a text: saving may switch the language, and the message must follow.
  const [message, setMessage] = useState<FormOutcome | null>(null)
  const zones = useMemo(timeZones, [])
  const systemZone = Intl.DateTimeFormat().resolvedOptions().timeZone
  const update = (patch: Partial<SettingsDraft>) => {
    setDraft({ ...draft, ...patch })
    setMessage(null)
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (draft.networks.length === 0) {
      setMessage({ ok: false, said: { key: 'settings.needNetwork' } })
      return
    }
    setBusy(true)
    try {
      await save(settingsPatch(draft))
      setMessage({ ok: true, said: { key: 'settings.saved' } })
    } catch (error) {
      setMessage({ ok: false, said: describeError(error, 'settings') })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="panel form settings" onSubmit={submit} data-testid="settings-form">
      <h1>{t('settings.title')}</h1>
      <fieldset>
        <legend>{t('settings.networks')}</legend>
        <div className="checks">
          {NETWORKS.map((network) => (
            <label key={network} className="check">
              <input
                type="checkbox"
                data-testid={`setting-network-${network}`}
                checked={draft.networks.includes(network)}
                onChange={(event) =>
                  update({
                    networks: event.target.checked
                      ? [...draft.networks, network]
                      : draft.networks.filter((candidate) => candidate !== network),
                  })
                }
              />
              {t(`network.${network}`)}
            </label>
          ))}
        </div>
      </fieldset>
      <label>
        {t('settings.mastodon')}
        <input
          type="text"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="mastodon.social"
          data-testid="setting-mastodon"
          value={draft.mastodonInstance}
          onChange={(event) => update({ mastodonInstance: event.target.value })}
        />
        <span className="muted small">{t('settings.mastodonHelp')}</span>
      </label>
      <label>
        {t('settings.timeZone')}
        <select
          data-testid="setting-timezone"
          value={draft.timeZone}
          onChange={(event) => update({ timeZone: event.target.value })}
        >
          <option value="">{t('settings.timeZoneSystem', { zone: systemZone })}</option>
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zone}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>
          <label className="check">
            <input
              type="checkbox"
              data-testid="setting-quiet"
              checked={draft.quiet}
              onChange={(event) => update({ quiet: event.target.checked })}
            />
            {t('settings.quietHours')}
          </label>
        </legend>
        <div className="inline">
          <span>{t('settings.quietFrom')}</span>
          <input
            type="time"
            aria-label={t('settings.quietFrom')}
            disabled={!draft.quiet}
            value={draft.quietStart}
            onChange={(event) => update({ quietStart: event.target.value })}
          />
          <span>{t('settings.quietTo')}</span>
          <input
            type="time"
            aria-label={t('settings.quietTo')}
            disabled={!draft.quiet}
            value={draft.quietEnd}
            onChange={(event) => update({ quietEnd: event.target.value })}
          />
        </div>
      </fieldset>
      <div className="inline two">
        <label>
          {t('settings.language')}
          <select
            data-testid="setting-language"
            value={draft.language}
            onChange={(event) => update({ language: event.target.value as Settings['language'] })}
          >
            <option value="system">{t('settings.system')}</option>
            <option value="en">{t('settings.english')}</option>
            <option value="fr">{t('settings.french')}</option>
          </select>
        </label>
        <label>
          {t('settings.theme')}
          <select
            data-testid="setting-theme"
            value={draft.theme}
            onChange={(event) => update({ theme: event.target.value as Settings['theme'] })}
          >
            <option value="system">{t('settings.system')}</option>
            <option value="light">{t('settings.light')}</option>
            <option value="dark">{t('settings.dark')}</option>
          </select>
        </label>
      </div>
      <FormMessage message={message} testId="settings-message" />
      <button type="submit" className="primary" disabled={busy} data-testid="settings-save">
        {busy ? t('settings.saving') : t('settings.save')}
      </button>
      <NudgeSettingsSection />
      <ResultsSettingsSection />
    </form>
  )
}
