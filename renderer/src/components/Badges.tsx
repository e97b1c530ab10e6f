import { useEffect, useRef } from 'react'
import { campaignDaysLeft, formatDateTime } from '../../../common/format/dates'
import type { Campaign } from '../../../common/model/campaign'
import type { Objective } from '../../../common/model/item'
import type { Network } from '../../../common/model/networks'
import { type Translate, useLanguage } from '../state/store'

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
  const language = useLanguage()
  const deadline = campaignDaysLeft(campaign.deadline, now, timeZone ?? undefined)
  const urgent = deadline.days <= 3
  // The deadline's date and time as a tooltip (and accessible description), in the person's
  // language and zone, written once the browser is idle after the frame: a date formatter built
  // for every row cost ICU's first formatter (20–35 ms) between the popover's first answer and its
  // first paint (issue 7.8).
  const badge = useRef<HTMLSpanElement>(null)
  useEffect(() => {
    const write = () => {
      if (badge.current)
        badge.current.title = formatDateTime(campaign.deadline, language, { timeZone })
    }
    if (typeof requestIdleCallback !== 'function') {
      const timer = setTimeout(write, 0)
      return () => clearTimeout(timer)
    }
    const idle = requestIdleCallback(write, { timeout: 1_000 })
    return () => cancelIdleCallback(idle)
  }, [campaign.deadline, language, timeZone])
  return (
    <span
      className={urgent ? 'badge badge-deadline urgent' : 'badge badge-deadline'}
      data-testid="campaign-badge"
      ref={badge}
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
