import { NETWORKS, type Network } from '../../../../common/model/networks'
import { useStore, useT } from '../../state/store'

const MAX_AUDIENCE = 1_000_000_000

/**
 * My results in Settings: my audience per network (followers, connections; kept on this
 * computer, used for reach and click-through) and the leaderboard opt-in (off by default).
 * Saved at once, like the nudge settings.
 */
export function ResultsSettingsSection() {
  const t = useT()
  const client = useStore((state) => state.client)
  const settings = useStore((state) => state.settings)
  if (!client || !settings) return null
  const audience = settings.audience ?? {}
  const saveAudience = (network: Network, raw: string) => {
    const text = raw.trim()
    const next = { ...audience }
    if (text === '') delete next[network]
    else {
      const n = Number(text)
      if (!Number.isInteger(n) || n < 0 || n > MAX_AUDIENCE) return
      next[network] = n
    }
    void client.call('settings.update', { audience: next }).catch(() => {})
  }
  return (
    <fieldset className="reach-settings" data-testid="results-settings">
      <legend>{t('results.settings')}</legend>
      <p className="muted small">{t('results.audienceHelp')}</p>
      {NETWORKS.filter((network) => settings.networks.includes(network)).map((network) => (
        <label key={network}>
          <span>{t('results.audienceOf', { network: t(`network.${network}`) })}</span>
          <input
            // Re-mounted when the saved value changes elsewhere (another window).
            key={`${network}:${audience[network] ?? ''}`}
            type="number"
            min={0}
            max={MAX_AUDIENCE}
            step={1}
            inputMode="numeric"
            data-testid={`audience-${network}`}
            defaultValue={audience[network] ?? ''}
            onBlur={(event) => saveAudience(network, event.target.value)}
          />
        </label>
      ))}
      <label className="check">
        <input
          type="checkbox"
          data-testid="leaderboard-opt-in"
          checked={settings.leaderboardOptIn ?? false}
          onChange={(event) =>
            void client
              .call('settings.update', { leaderboardOptIn: event.target.checked })
              .catch(() => {})
          }
        />
        {t('results.leaderboard')}
      </label>
      <p className="muted small">{t('results.leaderboardHelp')}</p>
    </fieldset>
  )
}
