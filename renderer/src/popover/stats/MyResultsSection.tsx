import './stats.css'
import { useEffect, useState } from 'react'
import type { MyResultsStats } from '../../../../common/model/results'
import { BarChart } from '../../components/BarChart'
import { useLanguage, useStore, useT } from '../../state/store'

const HOURS = Array.from({ length: 24 }, (_, h) => h)
const RECENT_SHARES = 20
const BEST_ITEMS = 5

/**
 * My results (issue 9): the clicks and conversions of my shares, as the core keeps them in
 * SQLite (so offline too): totals, per day over 30 or 90 days, best items, per network with
 * reach and click-through, per share, and when my audience clicks (weekday × hour).
 */
export function MyResultsSection() {
  const t = useT()
  const language = useLanguage()
  const client = useStore((state) => state.client)
  const [stats, setStats] = useState<MyResultsStats | null>(null)
  const [days, setDays] = useState<30 | 90>(30)
  useEffect(() => {
    if (!client) return
    let live = true
    const load = () =>
      void client
        .call('results.mine', {})
        .then((next) => live && setStats(next))
        .catch(() => {})
    load()
    // Opening My stats asks the relay for fresh clicks; mine.changed follows when they arrive.
    void client
      .call('results.refresh', {})
      .then(load)
      .catch(() => {})
    const offMine = client.on('mine.changed', load)
    const offSettings = client.on('settings.changed', load)
    return () => {
      live = false
      offMine()
      offSettings()
    }
  }, [client])
  if (!stats) return null
  const number = new Intl.NumberFormat(language)
  const percent = new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 1 })
  const ctr = (value: number | null) => (value === null ? '—' : percent.format(value))
  const dayFormat = new Intl.DateTimeFormat(language, {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  })
  const shownDays = stats.daily.slice(-days)
  const dayName = new Intl.DateTimeFormat(language, { weekday: 'short', timeZone: 'UTC' })
  // 2 March 2026 is a Monday: weekday names in the person's language, Monday first.
  const weekdays = Array.from({ length: 7 }, (_, d) => dayName.format(Date.UTC(2026, 2, 2 + d)))
  const maxCell = Math.max(1, ...stats.heatmap.flat())
  const title = (value: string | null) => value ?? t('results.untitled')
  const tiles = [
    { key: 'clicks', label: t('results.clicks'), value: stats.totals.clicks },
    { key: 'unique', label: t('results.unique'), value: stats.totals.uniqueClicks },
    { key: 'conversions', label: t('results.conversions'), value: stats.totals.conversions },
  ]
  return (
    <section className="my-results" data-testid="my-results">
      <h2 className="section-title">{t('results.title')}</h2>
      <p className="muted small" data-testid="results-fetched">
        {stats.fetchedAt
          ? t('results.fetchedAt', {
              when: new Intl.DateTimeFormat(language, {
                dateStyle: 'medium',
                timeStyle: 'short',
              }).format(new Date(stats.fetchedAt)),
            })
          : t('results.neverFetched')}
      </p>
      <div className="tiles">
        {tiles.map((tile) => (
          <div key={tile.key} className="tile" data-testid={`results-${tile.key}`}>
            <span className="tile-value">{number.format(tile.value)}</span>
            <span className="tile-label">{tile.label}</span>
          </div>
        ))}
      </div>

      {stats.earnedMediaValue ? (
        <EarnedMedia value={stats.earnedMediaValue} language={language} />
      ) : null}

      <fieldset className="results-days">
        <legend className="sr-only">{t('results.period')}</legend>
        {([30, 90] as const).map((n) => (
          <button
            key={n}
            type="button"
            className={days === n ? 'chip selected' : 'chip'}
            aria-pressed={days === n}
            onClick={() => setDays(n)}
          >
            {t('results.lastDays', { n })}
          </button>
        ))}
      </fieldset>
      <h3 className="small">{t('results.clicksPerDay')}</h3>
      <BarChart
        days={shownDays.map((d) => ({ date: d.date, count: d.clicks }))}
        label={t('results.clicksChart', { n: days })}
        describe={(day) =>
          t('stats.dayCount', {
            date: dayFormat.format(new Date(`${day.date}T00:00:00Z`)),
            n: day.count,
          })
        }
      />
      <h3 className="small">{t('results.sharesPerDay')}</h3>
      <BarChart
        days={shownDays.map((d) => ({ date: d.date, count: d.shares }))}
        label={t('results.sharesChart', { n: days })}
        describe={(day) =>
          t('stats.dayCount', {
            date: dayFormat.format(new Date(`${day.date}T00:00:00Z`)),
            n: day.count,
          })
        }
      />

      {stats.perItem.length > 0 ? (
        <>
          <h3 className="small">{t('results.bestItems')}</h3>
          <ol className="results-best" data-testid="results-best">
            {stats.perItem.slice(0, BEST_ITEMS).map((item) => (
              <li key={item.itemId}>
                <span dir="auto">{title(item.title)}</span>{' '}
                <span className="muted">
                  {t('results.itemLine', {
                    shares: number.format(item.shares),
                    clicks: number.format(item.clicks),
                    unique: number.format(item.uniqueClicks),
                  })}
                </span>
              </li>
            ))}
          </ol>
        </>
      ) : null}

      {stats.perNetwork.length > 0 ? (
        <table className="results-table" data-testid="results-by-network">
          <caption className="small">{t('results.byNetwork')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('results.network')}</th>
              <th scope="col">{t('results.shares')}</th>
              <th scope="col">{t('results.clicks')}</th>
              <th scope="col">{t('results.unique')}</th>
              <th scope="col">{t('results.reach')}</th>
              <th scope="col">{t('results.ctr')}</th>
            </tr>
          </thead>
          <tbody>
            {stats.perNetwork.map((row) => (
              <tr key={row.network} data-key={row.network}>
                <th scope="row">{t(`network.${row.network}`)}</th>
                <td>{number.format(row.shares)}</td>
                <td>{number.format(row.clicks)}</td>
                <td>{number.format(row.uniqueClicks)}</td>
                <td>{row.reach === null ? '—' : number.format(row.reach)}</td>
                <td>{ctr(row.clickThrough)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="muted small">{t('results.reachHelp')}</p>

      {stats.perShare.length > 0 ? (
        <table className="results-table" data-testid="results-by-share">
          <caption className="small">{t('results.byShare')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('results.item')}</th>
              <th scope="col">{t('results.network')}</th>
              <th scope="col">{t('results.clicks')}</th>
              <th scope="col">{t('results.unique')}</th>
              <th scope="col">{t('results.ctr')}</th>
            </tr>
          </thead>
          <tbody>
            {stats.perShare.slice(0, RECENT_SHARES).map((row) => (
              <tr key={row.shareId} data-key={row.shareId}>
                <th scope="row" dir="auto">
                  {title(row.title)}
                  <span className="muted small"> · {dayFormat.format(new Date(row.sharedAt))}</span>
                </th>
                <td>{t(`network.${row.network}`)}</td>
                <td>{number.format(row.clicks)}</td>
                <td>{number.format(row.uniqueClicks)}</td>
                <td>{ctr(row.clickThrough)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <figure className="results-heatmap" data-testid="results-heatmap">
        <figcaption className="small">{t('results.whenClicked')}</figcaption>
        <table aria-label={t('results.whenClicked')}>
          <tbody>
            {stats.heatmap.map((row, d) => (
              <tr key={weekdays[d]}>
                <th scope="row" className="small">
                  {weekdays[d]}
                </th>
                {HOURS.map((h) => {
                  const n = row[h] ?? 0
                  const label = `${weekdays[d]} ${String(h).padStart(2, '0')}:00 · ${t('results.cellClicks', { n })}`
                  return (
                    <td
                      key={h}
                      title={label}
                      data-count={n}
                      style={{ opacity: n === 0 ? 0.08 : 0.25 + (0.75 * n) / maxCell }}
                    />
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </figure>
    </section>
  )
}

/**
 * Earned media value, shown once champions set CPC/CPM: what my clicks and impressions would
 * have cost as ads, said in one line with the figures it comes from.
 */
function EarnedMedia({
  value,
  language,
}: {
  value: NonNullable<MyResultsStats['earnedMediaValue']>
  language: string
}) {
  const t = useT()
  const money = new Intl.NumberFormat(language, { style: 'currency', currency: value.currency })
  const number = new Intl.NumberFormat(language)
  return (
    <p className="results-emv" data-testid="results-emv">
      <strong>{t('results.emv', { amount: money.format(value.amount) })}</strong>{' '}
      <span className="muted small">
        {t('results.emvHelp', {
          clicks: number.format(value.clicks),
          impressions: number.format(value.impressions),
          cpc: money.format(value.cpc),
          cpm: money.format(value.cpm),
        })}
      </span>
    </p>
  )
}
