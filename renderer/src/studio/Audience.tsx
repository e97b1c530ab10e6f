import { useEffect, useState } from 'react'
import { formatDateTime } from '../../../common/format/dates'
import { type AudienceFields, audienceOf } from '../../../common/model/audience'
import { useST, useStudio } from './store'

/** The current time, refreshed every half minute: a scheduled item goes live without a reload. */
export function useNow(intervalMs = 30_000): Date {
  const [now, setNow] = useState(() => new Date())
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
  return now
}

/** Who sees an item right now, in words ("Everyone in the workspace", "Champions only", …). */
export function AudienceLabel({ item, testId }: { item: AudienceFields; testId?: string }) {
  const t = useST()
  const language = useStudio((state) => state.language)
  const timeZone = useStudio((state) => state.timeZone)
  const now = useNow()
  const audience = audienceOf(item, now)
  const date = (iso: string) => formatDateTime(iso, language, { timeZone })
  const text =
    audience.kind === 'everyone'
      ? audience.until
        ? t('audience.everyoneUntil', { date: date(audience.until) })
        : t('audience.everyone')
      : audience.kind === 'scheduled'
        ? t('audience.scheduled', { date: date(audience.from) })
        : audience.kind === 'expired'
          ? t('audience.expired', { date: date(audience.at) })
          : t('audience.curators')
  return (
    <span
      className={`audience audience-${audience.kind}`}
      data-testid={testId}
      data-audience={audience.kind}
      title={t('audience.label')}
    >
      {text}
    </span>
  )
}
