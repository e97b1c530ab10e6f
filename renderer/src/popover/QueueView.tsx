import { useEffect, useMemo } from 'react'
import { OBJECTIVES } from '../../../common/model/item'
import { canCurate } from '../../../common/model/member'
import { CampaignBadge, ObjectiveBadge, SharedMarks } from '../components/Badges'
import { ChoiceSelect } from '../components/ChoiceSelect'
import { filterQueue, queueTopics } from '../state/logic'
import { type Translate, useLanguage, useStore, useT } from '../state/store'
import { preloadViews } from './lazy-views'
import { openStudio } from './StatusBar'

let paintMarked = false

/**
 * Marks (once per page) the first paint of a non-empty queue, for the first-paint benchmark:
 * the frame after the list is committed is the one that shows it. The other views' chunks are
 * fetched after that frame, not before it.
 */
function useFirstPaintMark(count: number): void {
  useEffect(() => {
    if (paintMarked || count === 0) return
    paintMarked = true
    performance.mark('pv:queue-committed', { detail: { count } })
    requestAnimationFrame(() => {
      setTimeout(() => {
        performance.mark('pv:queue-painted', { detail: { count } })
        preloadViews()
      }, 0)
    })
  }, [count])
}

function waitingMessage(t: Translate, relayUrl: string | undefined): string {
  try {
    return relayUrl
      ? t('queue.waiting', { relay: new URL(relayUrl).host })
      : t('queue.waitingNoHost')
  } catch {
    return t('queue.waitingNoHost')
  }
}

export function QueueView() {
  const t = useT()
  const timeZone = useStore((state) => state.settings?.timeZone)
  const language = useLanguage()
  const queue = useStore((state) => state.queue)
  const queueLoaded = useStore((state) => state.queueLoaded)
  // Only the first screen is in: a count now would be wrong for a moment.
  const queuePartial = useStore((state) => state.queuePartial === true)
  const filter = useStore((state) => state.filter)
  const setFilter = useStore((state) => state.setFilter)
  const select = useStore((state) => state.select)
  const session = useStore((state) => state.status?.session ?? null)
  const sync = useStore((state) => state.status?.sync ?? 'offline')
  // The topics of the whole queue, once it is in: those of the first screen would be a partial
  // list, and sorting them built ICU's first collator (~20–30 ms) before the first paint.
  const topics = useMemo(
    () => (queuePartial ? [] : queueTopics(queue, language)),
    [queue, language, queuePartial],
  )
  const shown = useMemo(() => filterQueue(queue, filter), [queue, filter])
  const filtered = filter.objective !== null || filter.topic !== null
  const now = new Date()
  useFirstPaintMark(shown.length)

  return (
    <section className="queue" aria-labelledby="queue-title">
      <div className="queue-head">
        <h1 id="queue-title">{t('queue.title')}</h1>
        {queueLoaded && !queuePartial ? (
          <span className="muted small" data-testid="queue-count">
            {t.plural('queue.count', shown.length)}
          </span>
        ) : null}
      </div>
      <div className="filters">
        <ChoiceSelect
          label={t('queue.allObjectives')}
          testId="filter-objective"
          none={t('queue.allObjectives')}
          choices={OBJECTIVES}
          labelOf={(objective) => t(`objective.${objective}`)}
          value={filter.objective}
          onChange={(objective) => setFilter({ objective })}
        />
        <ChoiceSelect
          label={t('queue.allTopics')}
          testId="filter-topic"
          none={t('queue.allTopics')}
          choices={topics}
          value={filter.topic}
          onChange={(topic) => setFilter({ topic })}
        />
      </div>
      {!queueLoaded ? null : shown.length === 0 ? (
        <div className="empty" data-testid="queue-empty">
          <p>
            {filtered
              ? t('queue.emptyFiltered')
              : sync !== 'synced'
                ? // Never reached the relay yet: an empty list would read as "nothing to share".
                  waitingMessage(t, session?.relayUrl)
                : session && canCurate(session.role)
                  ? t('queue.emptyCurator')
                  : t('queue.empty')}
          </p>
          {!filtered && sync === 'synced' && session && canCurate(session.role) ? (
            <button type="button" className="link" onClick={openStudio}>
              {t('studio.open')}
            </button>
          ) : null}
          {filtered ? (
            <button
              type="button"
              className="link"
              onClick={() => setFilter({ objective: null, topic: null })}
            >
              {t('queue.clearFilters')}
            </button>
          ) : null}
        </div>
      ) : (
        <ul className="items" data-testid="queue">
          {shown.map(({ item, campaign, sharedOn }) => (
            <li key={item.id} data-testid="queue-item" data-item-id={item.id}>
              <button
                type="button"
                className={sharedOn.length > 0 ? 'item-row shared' : 'item-row'}
                onClick={() => select(item.id)}
              >
                <span className="item-title" dir="auto">
                  {item.title}
                </span>
                <span className="item-badges">
                  <ObjectiveBadge objective={item.objective} t={t} />
                  {campaign ? (
                    <CampaignBadge campaign={campaign} t={t} now={now} timeZone={timeZone} />
                  ) : null}
                </span>
                <span className="item-foot">
                  <span className="item-source">
                    {[item.source, ...item.topics.map((topic) => `#${topic}`)]
                      .filter(Boolean)
                      .join(' · ')}
                  </span>
                  <SharedMarks networks={sharedOn} t={t} />
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
