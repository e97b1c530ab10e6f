import { type FormEvent, useState } from 'react'
import { campaignDaysLeft, formatDay } from '../../../common/format/dates'
import { formatNumber } from '../../../common/format/typography'
import {
  CAMPAIGN_GOAL_KINDS,
  type Campaign,
  type CampaignGoalKind,
  campaignGoalKind,
  type NewCampaign,
} from '../../../common/model/campaign'
import { OBJECTIVES, type Objective } from '../../../common/model/item'
import { ChoiceSelect } from '../components/ChoiceSelect'
import { useNow } from './Audience'
import { CampaignProgress } from './CampaignProgress'
import { Field, FormButtons, fromLocalInput, toLocalInput } from './fields'
import { type ConversionKey, useST, useStudio } from './store'

/** Campaigns: objective, goal metric and target, deadline, attached items. */
export function CampaignsView() {
  const t = useST()
  const campaigns = useStudio((state) => state.campaigns)
  const [creating, setCreating] = useState(false)
  return (
    <div className="page">
      <div className="page-head">
        <h2 className="pane-title">{t('campaigns.title')}</h2>
        <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
          + {t('campaigns.new')}
        </button>
      </div>
      {creating ? <CampaignForm campaign={null} onDone={() => setCreating(false)} /> : null}
      {campaigns.length === 0 && !creating ? <p className="empty">{t('campaigns.empty')}</p> : null}
      <div className="cards">
        {campaigns.map((campaign) => (
          <CampaignCard key={campaign.id} campaign={campaign} />
        ))}
      </div>
    </div>
  )
}

function CampaignCard({ campaign }: { campaign: Campaign }) {
  const t = useST()
  const allItems = useStudio((state) => state.allItems)
  const update = useStudio((state) => state.updateItem)
  const language = useStudio((state) => state.language)
  const timeZone = useStudio((state) => state.timeZone)
  const now = useNow()
  const [editing, setEditing] = useState(false)
  const attached = allItems.filter((item) => item.campaignId === campaign.id)
  const candidates = allItems.filter(
    (item) => item.campaignId !== campaign.id && item.status !== 'archived',
  )
  // The popover's count (common/format), in the same time zone: both windows agree.
  const { days } = campaignDaysLeft(campaign.deadline, now, timeZone ?? undefined)
  if (editing) return <CampaignForm campaign={campaign} onDone={() => setEditing(false)} />
  return (
    <article className="card" data-testid="campaign-card">
      <header className="card-head">
        <h3 className="card-title">{campaign.name}</h3>
        <span className={`badge badge-${campaign.objective}`}>
          {t(`objective.${campaign.objective}`)}
        </span>
      </header>
      <p className="goal">
        <strong>{formatNumber(campaign.goalTarget, language)}</strong> {campaign.goalMetric}{' '}
        <span className="muted small">({t(`goalKind.${campaignGoalKind(campaign)}`)})</span>
      </p>
      <CampaignProgress campaign={campaign} />
      <p className="muted small" data-testid="campaign-deadline">
        {formatDay(campaign.deadline, language, { timeZone })} ·{' '}
        <span data-testid="campaign-days-left">
          {days < 0
            ? t('campaign.overdue')
            : days === 0
              ? t('campaign.endsToday')
              : days === 1
                ? t('campaign.oneDayLeft')
                : t('campaign.daysLeftN', { days })}
        </span>
      </p>
      <h4 className="sub-head">{t('campaign.items')}</h4>
      {attached.length === 0 ? <p className="muted small">{t('campaign.noItems')}</p> : null}
      <ul className="attached">
        {attached.map((item) => (
          <li key={item.id}>
            <span>{item.title}</span>
            <button
              type="button"
              className="link danger"
              onClick={() => void update(item.id, { campaignId: null })}
            >
              {t('campaign.detach')}
            </button>
          </li>
        ))}
      </ul>
      <div className="row">
        <select
          aria-label={t('campaign.attach')}
          value=""
          onChange={(event) => {
            if (event.target.value) void update(event.target.value, { campaignId: campaign.id })
          }}
        >
          <option value="">{t('campaign.attach')}</option>
          {candidates.map((item) => (
            <option key={item.id} value={item.id}>
              {item.title}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button"
          title={t('campaign.edit')}
          onClick={() => setEditing(true)}
        >
          ✎
        </button>
      </div>
      <ConversionKeySection campaign={campaign} />
    </article>
  )
}

/**
 * The campaign's conversion key for the company's sign-up system: minted by the relay and shown
 * once (the relay keeps only its hash), with the endpoint and how to call it.
 */
function ConversionKeySection({ campaign }: { campaign: Campaign }) {
  const t = useST()
  const createKey = useStudio((state) => state.createConversionKey)
  const [minted, setMinted] = useState<ConversionKey | null>(null)
  const [copied, setCopied] = useState(false)
  const [busy, setBusy] = useState(false)
  const mint = async () => {
    setBusy(true)
    setCopied(false)
    setMinted(await createKey(campaign.id))
    setBusy(false)
  }
  const copy = async () => {
    if (!minted) return
    await navigator.clipboard.writeText(minted.key)
    setCopied(true)
  }
  return (
    <section className="conversion-key" data-testid="conversion-key">
      <h4 className="sub-head">{t('conversionKey.title')}</h4>
      {minted ? (
        <>
          <p className="small" role="status">
            {t('conversionKey.shownOnce')}
          </p>
          <div className="row">
            <input
              readOnly
              className="mono"
              aria-label={t('conversionKey.key')}
              value={minted.key}
              data-testid="conversion-key-value"
              onFocus={(event) => event.target.select()}
            />
            <button
              type="button"
              className="button"
              data-testid="conversion-key-copy"
              onClick={() => void copy()}
            >
              {copied ? t('conversionKey.copied') : t('conversionKey.copy')}
            </button>
          </div>
          <p className="small">
            {t('conversionKey.endpoint')}{' '}
            <code data-testid="conversion-key-endpoint">{minted.endpoint}</code>
          </p>
          <p className="muted small">
            {t('conversionKey.how', { header: 'x-porte-voix-conversion-key' })}{' '}
            <code>{'{ "idempotencyId", "utmContent", "kind", "value" }'}</code>
          </p>
        </>
      ) : (
        <p className="muted small">{t('conversionKey.help')}</p>
      )}
      <button
        type="button"
        className="button"
        data-testid="conversion-key-create"
        disabled={busy}
        onClick={() => void mint()}
      >
        {minted ? t('conversionKey.another') : t('conversionKey.create')}
      </button>
    </section>
  )
}

function CampaignForm({ campaign, onDone }: { campaign: Campaign | null; onDone: () => void }) {
  const t = useST()
  const create = useStudio((state) => state.createCampaign)
  const updateCampaign = useStudio((state) => state.updateCampaign)
  // The campaign as the form opened: what I changed is measured against it, not against a
  // colleague's later edit (which would then look like mine to undo).
  const [opened] = useState(campaign)
  const [name, setName] = useState(campaign?.name ?? '')
  const [objective, setObjective] = useState<Objective>(campaign?.objective ?? 'campaign')
  const [goalMetric, setGoalMetric] = useState(campaign?.goalMetric ?? '')
  const [goalTarget, setGoalTarget] = useState(String(campaign?.goalTarget ?? ''))
  const [goalKind, setGoalKind] = useState<CampaignGoalKind>(
    campaign ? campaignGoalKind(campaign) : 'conversions',
  )
  const [deadline, setDeadline] = useState(toLocalInput(campaign?.deadline ?? null))
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const value: NewCampaign = {
      name,
      objective,
      goalMetric,
      goalTarget: Math.round(Number(goalTarget)),
      goalKind,
      deadline: fromLocalInput(deadline) ?? '',
    }
    if (!campaign || !opened) {
      if (await create(value)) onDone()
      return
    }
    // Only what I changed since the form opened: a colleague's concurrent edit of another field
    // is kept, not overwritten with this form's stale copy.
    const patch: Partial<NewCampaign> = {}
    if (name !== opened.name) patch.name = value.name
    if (objective !== opened.objective) patch.objective = value.objective
    if (goalMetric !== opened.goalMetric) patch.goalMetric = value.goalMetric
    if (goalTarget !== String(opened.goalTarget)) patch.goalTarget = value.goalTarget
    if (goalKind !== campaignGoalKind(opened)) patch.goalKind = value.goalKind
    if (deadline !== toLocalInput(opened.deadline)) patch.deadline = value.deadline
    if (Object.keys(patch).length === 0) {
      onDone()
      return
    }
    // A refused change keeps the form open with what was typed; the banner says why.
    if (await updateCampaign(campaign.id, patch)) onDone()
  }
  return (
    <form className="card form-card" onSubmit={submit} data-testid="campaign-form">
      <Field label={t('campaign.name')}>
        <input required value={name} onChange={(event) => setName(event.target.value)} />
      </Field>
      <Field label={t('field.objective')}>
        <ChoiceSelect
          choices={OBJECTIVES}
          labelOf={(o) => t(`objective.${o}`)}
          value={objective}
          onChange={setObjective}
        />
      </Field>
      <Field label={t('campaign.goalKind')}>
        <ChoiceSelect
          choices={CAMPAIGN_GOAL_KINDS}
          labelOf={(kind) => t(`goalKind.${kind}`)}
          value={goalKind}
          testId="campaign-goal-kind"
          onChange={setGoalKind}
        />
      </Field>
      <Field label={t('campaign.goalMetric')}>
        <input
          required
          value={goalMetric}
          placeholder="confirmed sign-ups"
          onChange={(event) => setGoalMetric(event.target.value)}
        />
      </Field>
      <Field label={t('campaign.goalTarget')}>
        <input
          required
          type="number"
          min={1}
          value={goalTarget}
          onChange={(event) => setGoalTarget(event.target.value)}
        />
      </Field>
      <Field label={t('campaign.deadline')}>
        <input
          required
          type="datetime-local"
          value={deadline}
          onChange={(event) => setDeadline(event.target.value)}
        />
      </Field>
      <FormButtons
        submit={campaign ? t('campaign.save') : t('campaign.create')}
        cancel={t('create.cancel')}
        onCancel={onDone}
      />
    </form>
  )
}
