import type { Campaign } from '../../../common/model/campaign'
import { campaignProgress } from '../../../common/model/campaign-progress'
import { ProgressBar, progressTexts } from '../components/ProgressBar'
import { useNow } from './Audience'
import { useST, useStudio } from './store'

/**
 * A campaign's progress toward its target and the pace needed by its deadline, from the board
 * (the same functions as the popover's, so both windows say the same).
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
  const { name, label, pace } = progressTexts(t, campaign, progress, language, timeZone)
  return (
    <div className="campaign-progress" data-testid="campaign-progress">
      <ProgressBar name={name} label={label} progress={progress} />
      <p className="small">
        <span data-testid="campaign-progress-value">{label}</span>{' '}
        <span className="muted">
          ({new Intl.NumberFormat(language, { style: 'percent' }).format(progress.fraction)})
        </span>
      </p>
      <p className="small muted" data-testid="campaign-pace">
        {pace}
      </p>
    </div>
  )
}
