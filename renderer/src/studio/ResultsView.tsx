import { lazy, Suspense, useMemo } from 'react'
import { formatDateTime, formatDay } from '../../../common/format/dates'
import type { BoardCounts } from '../../../common/model/board'
import { type Campaign, campaignGoalKind } from '../../../common/model/campaign'
import { campaignProgress } from '../../../common/model/campaign-progress'
import { OBJECTIVES, SOURCE_KINDS } from '../../../common/model/item'
import { NETWORK_NAMES, NETWORKS } from '../../../common/model/networks'
import type { Challenge } from '../../../common/model/recognition'
import { useNow } from './Audience'
import { CampaignProgress } from './CampaignProgress'
import { type BarRow, GroupedBarChart } from './charts/GroupedBarChart'
import { dailyClicks, paceSeries } from './pace'
import { type ResultsColumn, type ResultsRow, ResultsTable, Sparkline } from './ResultsTable'
import { type StudioTranslate, useST, useStudio } from './store'

// uPlot is loaded with the first chart only: the studio's first bundle stays lean.
const PaceChart = lazy(() => import('./charts/PaceChart'))

const TREND_DAYS = 30

/** Clicks per share, to two decimals (null when nothing was shared). */
const perShare = (counts: BoardCounts) =>
  counts.shares === 0 ? null : Math.round((counts.clicks / counts.shares) * 100) / 100

function countColumns(t: StudioTranslate): ResultsColumn[] {
  return [
    { label: t('results.shares'), numeric: true },
    { label: t('results.clicks'), numeric: true },
    { label: t('results.unique'), numeric: true },
    { label: t('results.conversions'), numeric: true },
  ]
}
const countCells = (c: BoardCounts) => [c.shares, c.clicks, c.uniqueClicks, c.conversions]

/**
 * The champions' results view (issue 9, point 7): the board as tables (each exportable as CSV)
 * and charts, live: the store refetches the board on `board.changed`.
 */
export function ResultsView() {
  const t = useST()
  const language = useStudio((state) => state.language)
  const timeZone = useStudio((state) => state.timeZone)
  const board = useStudio((state) => state.board)
  const allItems = useStudio((state) => state.allItems)
  const campaigns = useStudio((state) => state.campaigns)
  const challenges = useStudio((state) => state.challenges)
  const now = useNow(60_000)
  const titles = useMemo(() => new Map(allItems.map((i) => [i.id, i.title])), [allItems])
  const counts = countColumns(t)

  const itemRows: ResultsRow[] = [...board.items]
    .sort((a, b) => b.clicks - a.clicks || b.shares - a.shares)
    .map((item) => {
      const title = titles.get(item.itemId) ?? t('results.deletedItem')
      return {
        key: item.itemId,
        cells: [title, ...countCells(item)],
        extra: (
          <Sparkline
            values={dailyClicks(item.daily, now, TREND_DAYS)}
            label={t('results.trendOf', { title, n: TREND_DAYS })}
          />
        ),
      }
    })
  const networkRows: ResultsRow[] = NETWORKS.flatMap((network) => {
    const c = board.networks[network]
    return c
      ? [{ key: network, cells: [NETWORK_NAMES[network], ...countCells(c), perShare(c)] }]
      : []
  })
  const objectiveRows: ResultsRow[] = OBJECTIVES.flatMap((objective) => {
    const c = board.objectives[objective]
    return c
      ? [{ key: objective, cells: [t(`objective.${objective}`), ...countCells(c), perShare(c)] }]
      : []
  })
  const sourceRows: ResultsRow[] = SOURCE_KINDS.flatMap((kind) => {
    const c = board.sourceKinds[kind]
    return c ? [{ key: kind, cells: [t(`source.${kind}`), ...countCells(c), perShare(c)] }] : []
  })
  const campaignRows: ResultsRow[] = campaigns.map((campaign) => {
    const c = board.campaigns.find((entry) => entry.campaignId === campaign.id)
    const p = campaignProgress(campaign, c, now, timeZone ?? undefined)
    return {
      key: campaign.id,
      cells: [
        campaign.name,
        t(`goalKind.${campaignGoalKind(campaign)}`),
        p.value,
        p.target,
        Math.round(p.fraction * 100),
        formatDay(campaign.deadline, language, { timeZone, style: 'medium' }),
        p.neededPerDay,
      ],
    }
  })
  const perShareColumn = { label: t('results.clicksPerShare'), numeric: true }
  const decimal = new Intl.NumberFormat(language, { maximumFractionDigits: 2 })
  const format = (value: number) => decimal.format(value)
  // The charts compare the same figures as the tables: first cell the label, then the counts.
  const networkBars: BarRow[] = networkRows.map((row) => ({
    key: row.key,
    label: String(row.cells[0]),
    values: [Number(row.cells[1]), Number(row.cells[2])],
  }))
  const perShareBars = (rows: ResultsRow[]): BarRow[] =>
    rows.map((row) => ({
      key: row.key,
      label: String(row.cells[0]),
      values: [Number(row.cells[5] ?? 0)],
    }))
  const perShareSeries = [{ label: t('results.clicksPerShare'), className: 'bar-clicks' }]
  const leaderboard = board.leaderboard

  return (
    <div className="page results-view" data-testid="results-view">
      <div className="page-head">
        <h2 className="pane-title">{t('results.title')}</h2>
        <span className="muted small" data-testid="board-updated">
          {board.updatedAt
            ? t('results.updatedAt', {
                when: formatDateTime(board.updatedAt, language, { timeZone }),
              })
            : t('results.neverUpdated')}
        </span>
      </div>
      <p className="muted small">{t('results.privacy')}</p>

      <ResultsTable
        testId="results-items"
        title={t('results.perItem')}
        columns={[{ label: t('results.item') }, ...counts]}
        rows={itemRows}
        extraLabel={t('results.trend', { n: TREND_DAYS })}
        empty={t('results.none')}
      />
      <ResultsTable
        testId="results-networks"
        title={t('results.perNetwork')}
        columns={[{ label: t('results.network') }, ...counts, perShareColumn]}
        rows={networkRows}
        empty={t('results.none')}
      />
      <GroupedBarChart
        testId="chart-networks"
        title={t('results.chartNetworks')}
        series={[
          { label: t('results.shares'), className: 'bar-shares' },
          { label: t('results.clicks'), className: 'bar-clicks' },
        ]}
        rows={networkBars}
        format={format}
      />
      <div className="results-pair">
        <ResultsTable
          testId="results-objectives"
          title={t('results.perObjective')}
          columns={[{ label: t('field.objective') }, ...counts, perShareColumn]}
          rows={objectiveRows}
          empty={t('results.none')}
        />
        <ResultsTable
          testId="results-sources"
          title={t('results.perSource')}
          columns={[{ label: t('results.sourceKind') }, ...counts, perShareColumn]}
          rows={sourceRows}
          empty={t('results.none')}
        />
      </div>
      <div className="results-pair">
        <GroupedBarChart
          testId="chart-objectives"
          title={t('results.chartObjectives')}
          series={perShareSeries}
          rows={perShareBars(objectiveRows)}
          format={format}
        />
        <GroupedBarChart
          testId="chart-sources"
          title={t('results.chartSources')}
          series={perShareSeries}
          rows={perShareBars(sourceRows)}
          format={format}
        />
      </div>

      <ResultsTable
        testId="results-campaigns"
        title={t('results.perCampaign')}
        columns={[
          { label: t('campaign.name') },
          { label: t('campaign.goalKind') },
          { label: t('results.reached'), numeric: true },
          { label: t('campaign.goalTarget'), numeric: true },
          { label: t('results.percent'), numeric: true },
          { label: t('campaign.deadline') },
          { label: t('results.neededPerDay'), numeric: true },
        ]}
        rows={campaignRows}
        empty={t('campaigns.empty')}
      />
      <div className="cards">
        {campaigns.map((campaign) => (
          <CampaignPace key={campaign.id} campaign={campaign} now={now} />
        ))}
      </div>

      <ResultsTable
        testId="results-leaderboard"
        title={
          leaderboard
            ? t('results.leaderboardOf', { month: monthName(leaderboard.month, language) })
            : t('results.leaderboard')
        }
        note={<p className="muted small">{t('results.leaderboardHelp')}</p>}
        columns={[
          { label: t('results.member') },
          { label: t('results.rank'), numeric: true },
          { label: t('results.points'), numeric: true },
          // The leaderboard counts unique clicks (common/model/standings).
          ...counts.filter((_, i) => i !== 1),
        ]}
        rows={(leaderboard?.rows ?? []).map((row) => ({
          key: row.memberId,
          cells: [row.displayName, row.rank, row.points, row.shares, row.clicks, row.conversions],
        }))}
        empty={t('results.leaderboardEmpty')}
      />

      {challenges.map((challenge) => (
        <ChallengeTable key={challenge.id} challenge={challenge} />
      ))}
    </div>
  )
}

function monthName(month: string, language: string): string {
  return new Intl.DateTimeFormat(language, {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${month}-01T00:00:00Z`))
}

function CampaignPace({ campaign, now }: { campaign: Campaign; now: Date }) {
  const t = useST()
  const language = useStudio((state) => state.language)
  const entry = useStudio((state) =>
    state.board.campaigns.find((c) => c.campaignId === campaign.id),
  )
  const kind = campaignGoalKind(campaign)
  const day = now.toISOString().slice(0, 10)
  // Recomputed when the board entry or the day changes, not on every minute's tick.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `day` stands for `now`
  const series = useMemo(
    () =>
      paceSeries(
        entry?.daily ?? [],
        kind,
        entry ? entry[kind] : 0,
        campaign.goalTarget,
        campaign.deadline,
        now,
      ),
    [entry, kind, campaign.goalTarget, campaign.deadline, day],
  )
  const actual = t('results.paceActual')
  const paceLine = t('results.paceLine')
  const labels = useMemo(() => ({ actual, pace: paceLine }), [actual, paceLine])
  return (
    <figure className="card pace-card" data-testid="campaign-pace-card">
      <figcaption className="card-head">
        <h3 className="card-title">{campaign.name}</h3>
      </figcaption>
      <CampaignProgress campaign={campaign} />
      <Suspense fallback={<div className="pace-chart" />}>
        <PaceChart series={series} labels={labels} language={language} />
      </Suspense>
      <p className="muted small">{t('results.paceHelp')}</p>
    </figure>
  )
}

function ChallengeTable({ challenge }: { challenge: Challenge }) {
  const t = useST()
  const language = useStudio((state) => state.language)
  const timeZone = useStudio((state) => state.timeZone)
  const standings = useStudio((state) =>
    state.board.challenges.find((c) => c.challengeId === challenge.id),
  )
  const period = `${formatDay(challenge.startsAt, language, { timeZone, style: 'medium' })} – ${formatDay(challenge.endsAt, language, { timeZone, style: 'medium' })}`
  return (
    <ResultsTable
      testId={`results-challenge-${challenge.id}`}
      title={t('results.challengeOf', { name: challenge.name })}
      note={
        <p className="muted small">
          {t(`metric.${challenge.metric}`)} · {period}
          {challenge.prize ? ` · ${t('challenge.prizeIs', { prize: challenge.prize })}` : ''} ·{' '}
          {t('challenge.teamScore', { n: standings?.teamScore ?? 0 })}
        </p>
      }
      columns={[
        { label: t('results.member') },
        { label: t('results.rank'), numeric: true },
        { label: t('challenge.score'), numeric: true },
      ]}
      rows={(standings?.standings ?? []).map((row) => ({
        key: row.memberId,
        cells: [row.displayName, row.rank, row.score],
      }))}
      empty={t('results.leaderboardEmpty')}
    />
  )
}
