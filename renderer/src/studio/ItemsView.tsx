import { type FormEvent, useState } from 'react'
import { formatNumber } from '../../../common/format/typography'
import {
  ITEM_STATUSES,
  type Item,
  OBJECTIVES,
  type Objective,
  SOURCE_KINDS,
} from '../../../common/model/item'
import { ChoiceSelect } from '../components/ChoiceSelect'
import { AudienceLabel } from './Audience'
import { CampaignSelect, FormButtons } from './fields'
import { ItemEditor } from './ItemEditor'
import { ItemRow } from './ItemRow'
import { useST, useStudio } from './store'

/** The item list with search and filters, and the editor of the selected item. */
export function ItemsView() {
  const t = useST()
  const language = useStudio((state) => state.language)
  const items = useStudio((state) => state.items)
  const allItems = useStudio((state) => state.allItems)
  const selectedId = useStudio((state) => state.selectedId)
  const [creating, setCreating] = useState(false)
  const selected = allItems.find((item) => item.id === selectedId) ?? null

  return (
    <div className="split">
      <section className="list-pane" aria-label={t('nav.items')}>
        <Filters />
        <div className="list-head">
          <span className="muted small" data-testid="item-count">
            {formatNumber(items.length, language)}{' '}
            {t(items.length === 1 ? 'items.one' : 'items.count')}
          </span>
          <button
            type="button"
            className="button button-primary"
            data-testid="new-item"
            onClick={() => setCreating(true)}
          >
            + {t('items.new')}
          </button>
        </div>
        {creating ? <CreateItem onDone={() => setCreating(false)} /> : null}
        {items.length === 0 ? (
          <p className="empty">{t('items.empty')}</p>
        ) : (
          <ItemList items={items} />
        )}
      </section>
      <section className="detail-pane">
        {selected ? (
          <ItemEditor item={selected} key={selected.id} />
        ) : (
          <p className="empty">{t('items.pick')}</p>
        )}
      </section>
    </div>
  )
}

function Filters() {
  const t = useST()
  const filter = useStudio((state) => state.filter)
  const setFilter = useStudio((state) => state.setFilter)
  const allItems = useStudio((state) => state.allItems)
  const campaigns = useStudio((state) => state.campaigns)
  const topics = [...new Set(allItems.flatMap((item) => item.topics))].sort((a, b) =>
    a.localeCompare(b),
  )
  return (
    <div className="filters-grid">
      <input
        type="search"
        className="search"
        aria-label={t('items.search')}
        placeholder={t('items.search')}
        value={filter.search}
        data-testid="search"
        onChange={(event) => setFilter({ search: event.target.value })}
      />
      <ChoiceSelect
        label={t('filter.allStatuses')}
        testId="filter-status"
        none={t('filter.allStatuses')}
        choices={ITEM_STATUSES}
        labelOf={(status) => t(`status.${status}`)}
        value={filter.status}
        onChange={(status) => setFilter({ status })}
      />
      <ChoiceSelect
        label={t('filter.allObjectives')}
        none={t('filter.allObjectives')}
        choices={OBJECTIVES}
        labelOf={(objective) => t(`objective.${objective}`)}
        value={filter.objective}
        onChange={(objective) => setFilter({ objective })}
      />
      <ChoiceSelect
        label={t('filter.allTopics')}
        none={t('filter.allTopics')}
        choices={topics}
        value={filter.topic}
        onChange={(topic) => setFilter({ topic })}
      />
      <CampaignSelect
        label={t('filter.allCampaigns')}
        none={t('filter.allCampaigns')}
        campaigns={campaigns}
        value={filter.campaignId}
        onChange={(campaignId) => setFilter({ campaignId })}
      />
      <ChoiceSelect
        label={t('filter.allSources')}
        none={t('filter.allSources')}
        choices={SOURCE_KINDS}
        labelOf={(kind) => t(`source.${kind}`)}
        value={filter.sourceKind}
        onChange={(sourceKind) => setFilter({ sourceKind })}
      />
    </div>
  )
}

function ItemList({ items }: { items: Item[] }) {
  const t = useST()
  const update = useStudio((state) => state.updateItem)
  const campaigns = useStudio((state) => state.campaigns)

  /** Reorder by priority: just above (or below) the neighbour, within 0–100. */
  const move = (index: number, direction: -1 | 1) => {
    const item = items[index]
    const neighbour = items[index + direction]
    if (!item || !neighbour) return
    const target =
      direction === -1
        ? Math.max(item.priority + 1, neighbour.priority + 1)
        : Math.min(item.priority - 1, neighbour.priority - 1)
    void update(item.id, { priority: Math.min(100, Math.max(0, target)) })
  }

  return (
    <ul className="studio-items" data-testid="studio-items">
      {items.map((item, index) => {
        const campaign = campaigns.find((c) => c.id === item.campaignId)
        return (
          <ItemRow
            key={item.id}
            item={item}
            testId="studio-item"
            meta={
              <>
                <span className={`pill pill-${item.status}`}>{t(`status.${item.status}`)}</span>
                <AudienceLabel item={item} testId="row-audience" />
                <span className={`badge badge-${item.objective}`}>
                  {t(`objective.${item.objective}`)}
                </span>
                {campaign ? <span className="tag">{campaign.name}</span> : null}
                <span className="muted small">{item.source || t(`source.${item.sourceKind}`)}</span>
              </>
            }
          >
            <span className="order">
              <span className="priority" title={t('field.priority')}>
                {item.priority}
              </span>
              <button
                type="button"
                className="icon-button"
                aria-label={t('item.upNamed', { title: item.title })}
                disabled={index === 0}
                onClick={() => move(index, -1)}
              >
                ▲
              </button>
              <button
                type="button"
                className="icon-button"
                aria-label={t('item.downNamed', { title: item.title })}
                disabled={index === items.length - 1}
                onClick={() => move(index, 1)}
              >
                ▼
              </button>
            </span>
          </ItemRow>
        )
      })}
    </ul>
  )
}

function CreateItem({ onDone }: { onDone: () => void }) {
  const t = useST()
  const create = useStudio((state) => state.createItem)
  const [title, setTitle] = useState('')
  const [url, setUrl] = useState('')
  const [objective, setObjective] = useState<Objective>('awareness')
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const created = await create({
      title,
      url,
      objective,
      // A LinkedIn caption to start from; other networks are added in the editor.
      captions: { linkedin: '' },
    })
    if (created) onDone()
  }
  return (
    <form className="create" onSubmit={submit} data-testid="create-item">
      <strong>{t('create.title')}</strong>
      <input
        required
        aria-label={t('field.title')}
        placeholder={t('field.title')}
        value={title}
        onChange={(event) => setTitle(event.target.value)}
      />
      <input
        required
        type="url"
        aria-label={t('field.url')}
        placeholder="https://"
        value={url}
        onChange={(event) => setUrl(event.target.value)}
      />
      <ChoiceSelect
        label={t('field.objective')}
        choices={OBJECTIVES}
        labelOf={(o) => t(`objective.${o}`)}
        value={objective}
        onChange={setObjective}
      />
      <FormButtons submit={t('create.submit')} cancel={t('create.cancel')} onCancel={onDone} />
    </form>
  )
}
