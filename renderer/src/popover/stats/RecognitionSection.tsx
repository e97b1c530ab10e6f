import { formatDay } from '../../../../common/format/dates'
import { useRecognition } from '../../state/board'
import { useLanguage, useStore, useT } from '../../state/store'

/**
 * My points (counted on my device from my shares and results) this month and all time; my rank
 * and my challenge standings only if I opted in to the leaderboard (issue 9, point 6).
 */
export function RecognitionSection() {
  const t = useT()
  const language = useLanguage()
  const client = useStore((state) => state.client)
  const timeZone = useStore((state) => state.settings?.timeZone ?? undefined)
  const mine = useRecognition(client)
  if (!mine) return null
  const number = new Intl.NumberFormat(language)
  const month = new Intl.DateTimeFormat(language, {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${mine.month}-01T00:00:00Z`))
  return (
    <section className="my-recognition" data-testid="my-recognition">
      <h2 className="section-title">{t('recognition.title')}</h2>
      <div className="tiles">
        <div className="tile" data-testid="points-month">
          <span className="tile-value">{number.format(mine.monthPoints)}</span>
          <span className="tile-label">{month}</span>
        </div>
        <div className="tile" data-testid="points-all">
          <span className="tile-value">{number.format(mine.allTimePoints)}</span>
          <span className="tile-label">{t('recognition.allTime')}</span>
        </div>
        {mine.optedIn && mine.rank !== null ? (
          <div className="tile" data-testid="my-rank">
            <span className="tile-value">{number.format(mine.rank)}</span>
            <span className="tile-label">{t('recognition.rank')}</span>
          </div>
        ) : null}
      </div>
      <p className="muted small">
        {t('recognition.weights', {
          share: number.format(mine.weights.share),
          click: number.format(mine.weights.click),
          conversion: number.format(mine.weights.conversion),
        })}{' '}
        {mine.optedIn ? '' : t('recognition.notOptedIn')}
      </p>
      {mine.challenges.length > 0 ? (
        <>
          <h3 className="small">{t('recognition.challenges')}</h3>
          <ul className="my-challenges" data-testid="my-challenges">
            {mine.challenges.map(({ challenge, myScore, teamScore, rank }) => (
              <li key={challenge.id}>
                <strong dir="auto">{challenge.name}</strong>{' '}
                <span className="muted small">
                  {t(`metric.${challenge.metric}`)} ·{' '}
                  {t('recognition.until', {
                    date: formatDay(challenge.endsAt, language, { timeZone, style: 'medium' }),
                  })}
                </span>
                <br />
                <span className="small">
                  {t('recognition.challengeLine', {
                    mine: number.format(myScore),
                    team: number.format(teamScore),
                  })}
                  {mine.optedIn && rank !== null
                    ? ` · ${t('recognition.challengeRank', { rank: number.format(rank) })}`
                    : ''}
                </span>
                {challenge.prize ? (
                  <>
                    <br />
                    <span className="muted small" dir="auto">
                      {t('recognition.prize', { prize: challenge.prize })}
                    </span>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  )
}
