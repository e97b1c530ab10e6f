import { OBJECTIVES } from '../../../common/model/item'
import { NETWORKS } from '../../../common/model/networks'
import { BarChart, Breakdown } from '../components/BarChart'
import { useLanguage, useStore, useT } from '../state/store'
import { AudienceHeatmap } from './nudges/AudienceHeatmap'
import { MyResultsSection } from './stats/MyResultsSection'
import { RecognitionSection } from './stats/RecognitionSection'

export function StatsView() {
  const t = useT()
  const language = useLanguage()
  const stats = useStore((state) => state.stats)
  if (!stats) return <p className="loading">…</p>
  const dayFormat = new Intl.DateTimeFormat(language, {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  })
  const first = stats.daily[0]
  const tiles = [
    { key: 'today', label: t('stats.today'), value: String(stats.today) },
    { key: 'week', label: t('stats.week'), value: String(stats.week) },
    { key: 'month', label: t('stats.month'), value: String(stats.month) },
    {
      key: 'streak',
      label: t('stats.streak'),
      value: t('stats.streakDays', { n: stats.currentStreak }),
    },
  ]
  const networkRows = NETWORKS.filter((network) => (stats.byNetwork[network] ?? 0) > 0).map(
    (network) => ({
      key: network,
      label: t(`network.${network}`),
      count: stats.byNetwork[network] ?? 0,
    }),
  )
  const objectiveRows = OBJECTIVES.filter(
    (objective) => (stats.byObjective[objective] ?? 0) > 0,
  ).map((objective) => ({
    key: objective,
    label: t(`objective.${objective}`),
    count: stats.byObjective[objective] ?? 0,
  }))
  return (
    <section className="panel stats" data-testid="stats">
      <h1>{t('stats.title')}</h1>
      <p className="muted small">{t('stats.local')}</p>
      <div className="tiles">
        {tiles.map((tile) => (
          <div key={tile.key} className="tile" data-testid={`stat-${tile.key}`}>
            <span className="tile-value">{tile.value}</span>
            <span className="tile-label">{tile.label}</span>
          </div>
        ))}
      </div>
      <p className="muted small">
        {t.plural('stats.longest', stats.longestStreak)} · {t.plural('stats.total', stats.total)}
      </p>
      <h2 className="section-title">{t('stats.last30')}</h2>
      <BarChart
        days={stats.daily}
        label={t('stats.chartLabel')}
        describe={(day) =>
          t('stats.dayCount', {
            date: dayFormat.format(new Date(`${day.date}T00:00:00Z`)),
            n: day.count,
          })
        }
      />
      {first ? (
        <div className="chart-axis muted small" aria-hidden="true">
          <span>{dayFormat.format(new Date(`${first.date}T00:00:00Z`))}</span>
          <span>{t('stats.today')}</span>
        </div>
      ) : null}
      {stats.total === 0 ? (
        <p className="muted small">{t('stats.none')}</p>
      ) : (
        <div className="breakdowns">
          <div>
            <h2 className="section-title">{t('stats.byNetwork')}</h2>
            <Breakdown rows={networkRows} testId="stats-by-network" />
          </div>
          <div>
            <h2 className="section-title">{t('stats.byObjective')}</h2>
            <Breakdown rows={objectiveRows} testId="stats-by-objective" />
          </div>
        </div>
      )}
      <MyResultsSection />
      <RecognitionSection />
      <AudienceHeatmap />
    </section>
  )
}
