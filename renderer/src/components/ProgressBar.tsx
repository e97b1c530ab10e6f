import './progress-bar.css'
import { formatDay } from '../../../common/format/dates'
import { formatNumber } from '../../../common/format/typography'
import {
  type Campaign,
  type CampaignGoalKind,
  campaignGoalKind,
} from '../../../common/model/campaign'
import type { CampaignProgress } from '../../../common/model/campaign-progress'

/** The keys both windows' catalogs have for a campaign's progress (each its own wording). */
type ProgressKey =
  | 'progress.label'
  | 'progress.of'
  | 'progress.reached'
  | 'progress.missed'
  | 'progress.perDay'
  | `goalKind.${CampaignGoalKind}`

/** The popover's or the studio's translate, for the progress keys. */
export type ProgressTranslate = (key: ProgressKey, vars?: Record<string, string | number>) => string

/**
 * A campaign's progress in words: the bar's name, its figures ("12 of 30 sign-ups") and the pace
 * ("3 per day needed by 1 December", or reached, or missed). One function for the popover's and
 * the studio's progress, so both windows say the same.
 */
export function progressTexts(
  t: ProgressTranslate,
  campaign: Campaign,
  progress: CampaignProgress,
  language: string,
  timeZone: string | null | undefined,
): { name: string; label: string; pace: string } {
  return {
    name: t('progress.of', { name: campaign.name }),
    label: t('progress.label', {
      value: formatNumber(progress.value, language),
      target: formatNumber(progress.target, language),
      kind: t(`goalKind.${campaignGoalKind(campaign)}`),
    }),
    pace: progress.reached
      ? t('progress.reached')
      : progress.missed
        ? t('progress.missed')
        : t('progress.perDay', {
            n: formatNumber(progress.neededPerDay, language),
            deadline: formatDay(campaign.deadline, language, { timeZone }),
          }),
  }
}

/**
 * A progress bar with its figures said to screen readers: the popover's and the studio's
 * campaign progress draw the same one.
 */
export function ProgressBar(props: {
  /** What the bar measures, e.g. "Progress of Autumn hiring". */
  name: string
  /** The figures in words, e.g. "12 of 30 sign-ups". */
  label: string
  progress: Pick<CampaignProgress, 'value' | 'target' | 'fraction'>
}) {
  const { value, target, fraction } = props.progress
  return (
    <div
      className="progress-track"
      role="progressbar"
      aria-label={props.name}
      aria-valuemin={0}
      aria-valuemax={target}
      aria-valuenow={Math.min(value, target)}
      aria-valuetext={props.label}
    >
      <div className="progress-fill" style={{ width: `${Math.round(fraction * 100)}%` }} />
    </div>
  )
}
