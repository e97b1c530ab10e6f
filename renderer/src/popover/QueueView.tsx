import { OBJECTIVES, type Objective } from '../../../common/model/item'
import { useStore, useT } from '../state/store'

export function QueueView() {
  const t = useT()
  const queue = useStore((state) => state.queue)
  const filter = useStore((state) => state.filter)
  const setFilter = useStore((state) => state.setFilter)
  const select = useStore((state) => state.select)
  const topics = [...new Set(queue.flatMap((item) => item.topics))].sort()
  const filtered = filter.objective !== null || filter.topic !== null

  return (
    <section className="queue">
      <div className="filters">
        <select
          aria-label={t('queue.allObjectives')}
          value={filter.objective ?? ''}
          onChange={(event) =>
            setFilter({ objective: (event.target.value || null) as Objective | null })
          }
        >
          <option value="">{t('queue.allObjectives')}</option>
          {OBJECTIVES.map((objective) => (
            <option key={objective} value={objective}>
              {t(`objective.${objective}`)}
            </option>
          ))}
        </select>
        <select
          aria-label={t('queue.allTopics')}
          value={filter.topic ?? ''}
          onChange={(event) => setFilter({ topic: event.target.value || null })}
        >
          <option value="">{t('queue.allTopics')}</option>
          {topics.map((topic) => (
            <option key={topic} value={topic}>
              {topic}
            </option>
          ))}
        </select>
      </div>
      {queue.length === 0 ? (
        <p className="empty" data-testid="queue-empty">
          {filtered ? t('queue.emptyFiltered') : t('queue.empty')}
        </p>
      ) : (
        <ul className="items" data-testid="queue">
          {queue.map((item) => (
            <li key={item.id}>
              <button type="button" className="item-row" onClick={() => select(item.id)}>
                <span className="item-title">{item.title}</span>
                <span className={`badge badge-${item.objective}`}>
                  {t(`objective.${item.objective}`)}
                </span>
                <span className="item-source">{item.source}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
