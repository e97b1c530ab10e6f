import { type FormEvent, useState } from 'react'
import { formatDay } from '../../../common/format/dates'
import { formatNumber } from '../../../common/format/typography'
import {
  OBJECTIVES,
  type Objective,
  SOURCE_KINDS,
  type SourceKind,
} from '../../../common/model/item'
import { NETWORK_NAMES, NETWORKS, type Network } from '../../../common/model/networks'
import {
  CHALLENGE_METRICS,
  type Challenge,
  type ChallengeMetric,
  DEFAULT_POINT_WEIGHTS,
  type NewChallenge,
  type PointWeights,
} from '../../../common/model/recognition'
import { ChoiceSelect } from '../components/ChoiceSelect'
import { CampaignSelect, Field, FormButtons, fromLocalInput, toLocalInput } from './fields'
import { type StudioTranslate, useST, useStudio } from './store'

/** Recognition (issue 9, point 6): point weights, CPC/CPM, and the monthly challenges. */
export function RecognitionView() {
  const t = useST()
  const settings = useStudio((state) => state.workspaceSettings)
  const challenges = useStudio((state) => state.challenges)
  const [creating, setCreating] = useState(false)
  return (
    <div className="page" data-testid="recognition-view">
      <div className="page-head">
        <h2 className="pane-title">{t('recognition.title')}</h2>
      </div>
      {settings ? (
        <div className="cards recognition-forms">
          {/* Opened with the settings as first loaded: a save re-renders them without a remount. */}
          <PointsForm weights={settings.points} />
          <ValueForm />
        </div>
      ) : null}
      <div className="page-head">
        <h3 className="sub-head">{t('challenges.title')}</h3>
        <button
          type="button"
          className="button button-primary"
          data-testid="challenge-new"
          onClick={() => setCreating(true)}
        >
          + {t('challenges.new')}
        </button>
      </div>
      {creating ? <ChallengeForm challenge={null} onDone={() => setCreating(false)} /> : null}
      {challenges.length === 0 && !creating ? (
        <p className="empty">{t('challenges.empty')}</p>
      ) : null}
      <div className="cards">
        {challenges.map((challenge) => (
          <ChallengeCard key={challenge.id} challenge={challenge} />
        ))}
      </div>
    </div>
  )
}

/** A required number of at least 0, kept as typed text until the form is saved. */
function NumberField(props: {
  label: string
  value: string
  max: number
  step: number | 'any'
  testId: string
  onChange(text: string): void
}) {
  return (
    <Field label={props.label}>
      <input
        type="number"
        required
        min={0}
        max={props.max}
        step={props.step}
        value={props.value}
        data-testid={props.testId}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </Field>
  )
}

function PointsForm({ weights }: { weights: PointWeights }) {
  const t = useST()
  const save = useStudio((state) => state.saveWorkspaceSettings)
  const [draft, setDraft] = useState({
    share: String(weights.share),
    click: String(weights.click),
    conversion: String(weights.conversion),
  })
  const [saved, setSaved] = useState(false)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setSaved(false)
    const points = {
      share: Math.round(Number(draft.share)),
      click: Math.round(Number(draft.click)),
      conversion: Math.round(Number(draft.conversion)),
    }
    setSaved(await save({ points }))
  }
  const field = (key: keyof PointWeights, max: number) => (
    <NumberField
      label={t(`points.${key}`)}
      value={draft[key]}
      max={max}
      step={1}
      testId={`points-${key}`}
      onChange={(text) => setDraft({ ...draft, [key]: text })}
    />
  )
  return (
    <form className="card form-card" onSubmit={submit} data-testid="points-form">
      <h3 className="card-title">{t('points.title')}</h3>
      <p className="muted small">
        {t('points.help', {
          share: DEFAULT_POINT_WEIGHTS.share,
          click: DEFAULT_POINT_WEIGHTS.click,
          conversion: DEFAULT_POINT_WEIGHTS.conversion,
        })}
      </p>
      {field('share', 1000)}
      {field('click', 1000)}
      {field('conversion', 10_000)}
      <div className="row">
        <button type="submit" className="button button-primary" data-testid="points-save">
          {t('settings.save')}
        </button>
        {saved ? (
          <span className="muted small" role="status">
            {t('settings.saved')}
          </span>
        ) : null}
      </div>
    </form>
  )
}

function ValueForm() {
  const t = useST()
  const value = useStudio((state) => state.workspaceSettings?.value ?? null)
  const save = useStudio((state) => state.saveWorkspaceSettings)
  const [currency, setCurrency] = useState(value?.currency ?? 'EUR')
  const [cpc, setCpc] = useState(value ? String(value.cpc) : '')
  const [cpm, setCpm] = useState(value ? String(value.cpm) : '')
  const [saved, setSaved] = useState(false)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setSaved(false)
    setSaved(
      await save({
        value: { currency: currency.trim().toUpperCase(), cpc: Number(cpc), cpm: Number(cpm) },
      }),
    )
  }
  return (
    <form className="card form-card" onSubmit={submit} data-testid="value-form">
      <h3 className="card-title">{t('value.title')}</h3>
      <p className="muted small">{t('value.help')}</p>
      <Field label={t('value.currency')}>
        <input
          required
          value={currency}
          maxLength={3}
          pattern="[A-Za-z]{3}"
          data-testid="value-currency"
          onChange={(event) => setCurrency(event.target.value)}
        />
      </Field>
      <NumberField
        label={t('value.cpc')}
        value={cpc}
        max={1000}
        step="any"
        testId="value-cpc"
        onChange={setCpc}
      />
      <NumberField
        label={t('value.cpm')}
        value={cpm}
        max={10_000}
        step="any"
        testId="value-cpm"
        onChange={setCpm}
      />
      <div className="row">
        <button type="submit" className="button button-primary" data-testid="value-save">
          {t('settings.save')}
        </button>
        {value ? (
          <button
            type="button"
            className="button button-quiet"
            onClick={() => void save({ value: null })}
          >
            {t('value.clear')}
          </button>
        ) : null}
        {saved ? (
          <span className="muted small" role="status">
            {t('settings.saved')}
          </span>
        ) : null}
      </div>
    </form>
  )
}

/**
 * A challenge's filters over a fixed list of values (the campaign is one of the workspace's):
 * the form's selects and the card's summary name each value the same way.
 */
function filterChoices(t: StudioTranslate) {
  return {
    objective: {
      label: t('field.objective'),
      none: t('filter.allObjectives'),
      choices: OBJECTIVES,
      labelOf: (objective: Objective) => t(`objective.${objective}`),
    },
    sourceKind: {
      label: t('results.sourceKind'),
      none: t('filter.allSources'),
      choices: SOURCE_KINDS,
      labelOf: (kind: SourceKind) => t(`source.${kind}`),
    },
    network: {
      label: t('results.network'),
      none: t('challenge.allNetworks'),
      choices: NETWORKS,
      labelOf: (network: Network) => NETWORK_NAMES[network],
    },
  }
}

/** A challenge's start or end: a required local date and time, as typed until the form is saved. */
function PeriodField(props: { label: string; value: string; onChange(text: string): void }) {
  return (
    <Field label={props.label}>
      <input
        required
        type="datetime-local"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </Field>
  )
}

/** One of a challenge's filters: a value, or none for all of them. */
function FilterField<V extends string>({
  label,
  ...select
}: {
  label: string
  none: string
  choices: readonly V[]
  labelOf: (choice: V) => string
  value: V | null
  onChange: (value: V | null) => void
}) {
  return (
    <Field label={label}>
      <ChoiceSelect {...select} />
    </Field>
  )
}

function ChallengeCard({ challenge }: { challenge: Challenge }) {
  const t = useST()
  const language = useStudio((state) => state.language)
  const timeZone = useStudio((state) => state.timeZone)
  const campaigns = useStudio((state) => state.campaigns)
  const remove = useStudio((state) => state.removeChallenge)
  const standings = useStudio((state) =>
    state.board.challenges.find((c) => c.challengeId === challenge.id),
  )
  const [editing, setEditing] = useState(false)
  if (editing) return <ChallengeForm challenge={challenge} onDone={() => setEditing(false)} />
  const { filter } = challenge
  const choices = filterChoices(t)
  const filters = [
    filter.objective ? choices.objective.labelOf(filter.objective) : null,
    filter.sourceKind ? choices.sourceKind.labelOf(filter.sourceKind) : null,
    filter.network ? choices.network.labelOf(filter.network) : null,
    filter.campaignId ? (campaigns.find((c) => c.id === filter.campaignId)?.name ?? null) : null,
  ].filter((f): f is string => f !== null)
  return (
    <article className="card" data-testid="challenge-card">
      <header className="card-head">
        <h4 className="card-title">{challenge.name}</h4>
      </header>
      <p className="small">
        {t(`metric.${challenge.metric}`)}
        {filters.length > 0 ? ` · ${filters.join(' · ')}` : ''}
      </p>
      <p className="muted small">
        {formatDay(challenge.startsAt, language, { timeZone, style: 'medium' })} –{' '}
        {formatDay(challenge.endsAt, language, { timeZone, style: 'medium' })}
      </p>
      {challenge.prize ? (
        <p className="small">{t('challenge.prizeIs', { prize: challenge.prize })}</p>
      ) : null}
      <p className="small" data-testid="challenge-team-score">
        {t('challenge.teamScore', { n: standings?.teamScore ?? 0 })}
      </p>
      {standings && standings.standings.length > 0 ? (
        <ol className="standings">
          {standings.standings.slice(0, 5).map((row) => (
            <li key={row.memberId}>
              {row.displayName} · {formatNumber(row.score, language)}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted small">{t('results.leaderboardEmpty')}</p>
      )}
      <div className="row">
        <button type="button" className="button" onClick={() => setEditing(true)}>
          {t('challenge.edit')}
        </button>
        <button type="button" className="link danger" onClick={() => void remove(challenge.id)}>
          {t('challenge.remove')}
        </button>
      </div>
    </article>
  )
}

function ChallengeForm({ challenge, onDone }: { challenge: Challenge | null; onDone: () => void }) {
  const t = useST()
  const create = useStudio((state) => state.createChallenge)
  const update = useStudio((state) => state.updateChallenge)
  const campaigns = useStudio((state) => state.campaigns)
  const now = new Date()
  const monthStart = new Date(now.getFullYear(), now.getMonth(), 1)
  // The month's last minute: the period reads "1 – 31 December", not "– 1 January".
  const monthEnd = new Date(now.getFullYear(), now.getMonth() + 1, 0, 23, 59)
  const [name, setName] = useState(challenge?.name ?? '')
  const [metric, setMetric] = useState<ChallengeMetric>(challenge?.metric ?? 'shares')
  const [objective, setObjective] = useState<Objective | null>(challenge?.filter.objective ?? null)
  const [sourceKind, setSourceKind] = useState<SourceKind | null>(
    challenge?.filter.sourceKind ?? null,
  )
  const [network, setNetwork] = useState<Network | null>(challenge?.filter.network ?? null)
  const [campaignId, setCampaignId] = useState<string | null>(challenge?.filter.campaignId ?? null)
  const [startsAt, setStartsAt] = useState(
    toLocalInput(challenge?.startsAt ?? monthStart.toISOString()),
  )
  const [endsAt, setEndsAt] = useState(toLocalInput(challenge?.endsAt ?? monthEnd.toISOString()))
  const [prize, setPrize] = useState(challenge?.prize ?? '')
  const choices = filterChoices(t)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const value: NewChallenge = {
      name,
      metric,
      filter: {
        ...(objective ? { objective } : {}),
        ...(sourceKind ? { sourceKind } : {}),
        ...(network ? { network } : {}),
        ...(campaignId ? { campaignId } : {}),
      },
      startsAt: fromLocalInput(startsAt) ?? '',
      endsAt: fromLocalInput(endsAt) ?? '',
      prize,
    }
    const done = challenge ? await update(challenge.id, value) : await create(value)
    if (done) onDone()
  }
  return (
    <form className="card form-card" onSubmit={submit} data-testid="challenge-form">
      <Field label={t('challenge.name')}>
        <input
          required
          value={name}
          placeholder={t('challenge.namePlaceholder')}
          data-testid="challenge-name"
          onChange={(event) => setName(event.target.value)}
        />
      </Field>
      <Field label={t('challenge.metric')}>
        <ChoiceSelect
          choices={CHALLENGE_METRICS}
          labelOf={(m) => t(`metric.${m}`)}
          value={metric}
          testId="challenge-metric"
          onChange={setMetric}
        />
      </Field>
      <FilterField {...choices.objective} value={objective} onChange={setObjective} />
      <FilterField {...choices.sourceKind} value={sourceKind} onChange={setSourceKind} />
      <FilterField {...choices.network} value={network} onChange={setNetwork} />
      <Field label={t('field.campaign')}>
        <CampaignSelect
          campaigns={campaigns}
          none={t('filter.allCampaigns')}
          value={campaignId}
          onChange={setCampaignId}
        />
      </Field>
      <PeriodField label={t('challenge.startsAt')} value={startsAt} onChange={setStartsAt} />
      <PeriodField label={t('challenge.endsAt')} value={endsAt} onChange={setEndsAt} />
      <Field label={t('challenge.prize')}>
        <input
          value={prize}
          maxLength={200}
          placeholder={t('challenge.prizePlaceholder')}
          onChange={(event) => setPrize(event.target.value)}
        />
      </Field>
      <FormButtons
        submit={challenge ? t('challenge.save') : t('challenge.create')}
        cancel={t('create.cancel')}
        onCancel={onDone}
      />
    </form>
  )
}
