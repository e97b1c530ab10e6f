import './stats/stats.css'
import { formatDay } from '../../../common/format/dates'
import { type Campaign, campaignGoalKind } from '../../../common/model/campaign'
import { campaignProgress } from '../../../common/model/campaign-progress'
import { ProgressBar } from '../components/ProgressBar'
import { useBoard } from '../state/board'
import { useLanguage, useStore, useT } from '../state/store'

/**
 * The campaign's progress toward its target and the pace needed by its deadline, from the
 * team's board (the same function as the studio's, so both windows say the same).
 */
export function CampaignProgressLine({ campaign }: { campaign: Campaign }) {
  const t = useT()
  const language = useLanguage()
  const client = useStore((state) => state.client)
  const timeZone = useStore((state) => state.settings?.timeZone ?? undefined)
  const board = useBoard(client)
  const counts = board?.campaigns.find((c) => c.campaignId === campaign.id)
  const progress = campaignProgress(campaign, counts, new Date(), timeZone)
  const number = new Intl.NumberFormat(language)
  const label = t('progress.label', {
    value: number.format(progress.value),
    target: number.format(progress.target),
    kind: t(`goalKind.${campaignGoalKind(campaign)}`),
  })
  return (
    <section className="campaign-progress" data-testid="campaign-progress">
      <ProgressBar
        name={t('progress.of', { name: campaign.name })}
        label={label}
        value={progress.value}
        target={progress.target}
        fraction={progress.fraction}
      />
      <p className="small">
        <span data-testid="campaign-progress-value">{label}</span>
        {' · '}
        <span className="muted" data-testid="campaign-pace">
          {progress.reached
            ? t('progress.reached')
            : progress.missed
              ? t('progress.missed')
              : t('progress.perDay', {
                  n: number.format(progress.neededPerDay),
                  deadline: formatDay(campaign.deadline, language, { timeZone }),
                })}
        </span>
      </p>
    </section>
  )
}
