import './stats/stats.css'
import type { Campaign } from '../../../common/model/campaign'
import { campaignProgress } from '../../../common/model/campaign-progress'
import { ProgressBar, progressTexts } from '../components/ProgressBar'
import { useBoard } from '../state/board'
import { useLanguage, useStore, useT } from '../state/store'

/**
 * The campaign's progress toward its target and the pace needed by its deadline, from the
 * team's board (the same functions as the studio's, so both windows say the same).
 */
export function CampaignProgressLine({ campaign }: { campaign: Campaign }) {
  const t = useT()
  const language = useLanguage()
  const client = useStore((state) => state.client)
  const timeZone = useStore((state) => state.settings?.timeZone ?? undefined)
  const board = useBoard(client)
  const counts = board?.campaigns.find((c) => c.campaignId === campaign.id)
  const progress = campaignProgress(campaign, counts, new Date(), timeZone)
  const { name, label, pace } = progressTexts(t, campaign, progress, language, timeZone)
  return (
    <section className="campaign-progress" data-testid="campaign-progress">
      <ProgressBar name={name} label={label} progress={progress} />
      <p className="small">
        <span data-testid="campaign-progress-value">{label}</span>
        {' · '}
        <span className="muted" data-testid="campaign-pace">
          {pace}
        </span>
      </p>
    </section>
  )
}
