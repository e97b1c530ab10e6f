import { formatDay } from '../../../common/format/dates'
import { formatNumber } from '../../../common/format/typography'
import { type Campaign, campaignGoalKind } from '../../../common/model/campaign'
import { campaignProgress } from '../../../common/model/campaign-progress'
import { ProgressBar } from '../components/ProgressBar'
import { useNow } from './Audience'
import { useST, useStudio } from './store'

/**
 * A campaign's progress toward its target and the pace needed by its deadline, from the board
 * (the same function as the popover's, so both windows say the same).
 */
export function CampaignProgress({ campaign }: { campaign: Campaign }) {
  const t = useST()
  const language = useStudio((state) => state.language)
  const timeZone = useStudio((state) => state.timeZone)
  const counts = useStudio((state) =>
    state.board.campaigns.find((c) => c.campaignId === campaign.id),
  )
  const now = useNow()
  const progress = campaignProgress(campaign, counts, now, timeZone ?? undefined)
  const kind = campaignGoalKind(campaign)
  const deadline = formatDay(campaign.deadline, language, { timeZone })
  const label = t('progress.label', {
    value: formatNumber(progress.value, language),
    target: formatNumber(progress.target, language),
    kind: t(`goalKind.${kind}`),
  })
  return (
    <div className="campaign-progress" data-testid="campaign-progress">
      <ProgressBar
        name={t('progress.of', { name: campaign.name })}
        label={label}
        value={progress.value}
        target={progress.target}
        fraction={progress.fraction}
      />
      <p className="small">
        <span data-testid="campaign-progress-value">{label}</span>{' '}
        <span className="muted">
          ({new Intl.NumberFormat(language, { style: 'percent' }).format(progress.fraction)})
        </span>
      </p>
      <p className="small muted" data-testid="campaign-pace">
        {progress.reached
          ? t('progress.reached')
          : progress.missed
            ? t('progress.missed')
            : t('progress.perDay', { n: progress.neededPerDay, deadline })}
      </p>
    </div>
  )
}
