import './nudges.css'
import { useEffect, useState } from 'react'
import type { NudgePreview } from '../../../../common/contract/api'
import { whyText } from '../../../../common/nudges/why'
import { useLanguage, useStore, useT } from '../../state/store'

const HOURS = Array.from({ length: 24 }, (_, h) => h)

/** "When your audience is there": the learned curve per network, and the next nudge and why. */
export function AudienceHeatmap() {
  const t = useT()
  const language = useLanguage()
  const client = useStore((state) => state.client)
  const [preview, setPreview] = useState<NudgePreview | null>(null)
  useEffect(() => {
    if (!client) return
    let live = true
    const load = () =>
      void client
        .call('nudge.preview', {})
        .then((next) => live && setPreview(next))
        .catch(() => {})
    load()
    const offShow = client.on('nudge.show', load)
    const offSettings = client.on('settings.changed', load)
    return () => {
      live = false
      offShow()
      offSettings()
    }
  }, [client])
  if (!preview) return null
  // 2 March 2026 is a Monday: weekday names in the person's language, Monday first.
  const dayName = new Intl.DateTimeFormat(language, { weekday: 'short', timeZone: 'UTC' })
  const days = Array.from({ length: 7 }, (_, d) => dayName.format(Date.UTC(2026, 2, 2 + d)))
  const when = new Intl.DateTimeFormat(language, {
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
  })
  return (
    <section className="audience" data-testid="audience">
      <h2 className="section-title">{t('nudges.audience')}</h2>
      <p className="small" data-testid="next-nudge">
        {preview.paused
          ? t('nudges.paused')
          : preview.next
            ? t('nudges.next', {
                when: when.format(new Date(preview.next.at)),
                title: preview.next.title,
                why: whyText(preview.next.why, language),
              })
            : t('nudges.none')}
      </p>
      {preview.audiences.map((audience) => (
        <figure
          key={audience.network}
          className="heatmap"
          data-testid={`heatmap-${audience.network}`}
        >
          <figcaption className="small">
            {t(`network.${audience.network}`)} · {whyText(audience.why, language)}
          </figcaption>
          <table aria-label={whyText(audience.why, language)}>
            <tbody>
              {audience.hours.map((row, d) => (
                <tr key={days[d]}>
                  <th scope="row" className="small">
                    {days[d]}
                  </th>
                  {HOURS.map((h) => (
                    <td
                      key={h}
                      title={`${days[d]} ${String(h).padStart(2, '0')}:00`}
                      data-level={Math.round((row[h] ?? 0) * 4)}
                      style={{ opacity: 0.1 + 0.9 * (row[h] ?? 0) }}
                    />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </figure>
      ))}
    </section>
  )
}
