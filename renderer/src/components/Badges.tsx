import { campaignDaysLeft } from '../../../common/format/dates'
import type { Campaign } from '../../../common/model/campaign'
import type { Objective } from '../../../common/model/item'
import type { Network } from '../../../common/model/networks'
import type { Translate } from '../state/store'

export function ObjectiveBadge({ objective, t }: { objective: Objective; t: Translate }) {
  return (
    <span className={`badge badge-${objective}`} data-testid="objective-badge">
      {t(`objective.${objective}`)}
    </span>
  )
}

/** The campaign's name and how long is left, so deadlines are visible at a glance. */
export function CampaignBadge({
  campaign,
  t,
  now,
  timeZone,
}: {
  campaign: Campaign
  t: Translate
  now: Date
  /** The person's time zone setting; the system's when unset. */
  timeZone?: string | null
}) {
  const deadline = campaignDaysLeft(campaign.deadline, now, timeZone ?? undefined)
  const urgent = deadline.days <= 3
  return (
    <span
      className={urgent ? 'badge badge-deadline urgent' : 'badge badge-deadline'}
      data-testid="campaign-badge"
      title={new Date(campaign.deadline).toLocaleString()}
    >
      {campaign.name} ·{' '}
      {deadline.days < 0
        ? t('campaign.ended')
        : deadline.days === 0
          ? t('campaign.endsToday')
          : t.plural('campaign.daysLeft', deadline.days)}
    </span>
  )
}

export function SharedMarks({ networks, t }: { networks: readonly Network[]; t: Translate }) {
  if (networks.length === 0) return null
  const names = networks.map((network) => t(`network.${network}`)).join(', ')
  return (
    <span
      className="shared-mark"
      data-testid="shared-mark"
      title={t('queue.sharedOn', { networks: names })}
    >
      ✓ {names}
    </span>
  )
}
