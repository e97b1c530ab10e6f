import { useState } from 'react'
import { captionText, type ItemFieldProblem } from '../../../common/doc/queue-doc'
import { formatNumber } from '../../../common/format/typography'
import {
  ITEM_LIMITS,
  ITEM_STATUSES,
  type Item,
  OBJECTIVES,
  SOURCE_KINDS,
} from '../../../common/model/item'
import { DELETED_MEMBER } from '../../../common/model/member'
import { NETWORK_NAMES, NETWORKS, type Network } from '../../../common/model/networks'
import { measure } from '../../../common/share/length'
import { postedText, sharePagePrefillsCaption } from '../../../common/share/posted-text'
import { ChoiceSelect } from '../components/ChoiceSelect'
import { AudienceLabel } from './Audience'
import { CollabEditor, useYText } from './CollabEditor'
import { CampaignSelect, CommitField, DateTimeField, Field } from './fields'
import { Presence } from './Presence'
import {
  addVariant,
  removeVariant,
  replicaCaption,
  replicaItem,
  replicaVariants,
  replicaWhy,
  textKey,
  useCaptionedNetworks,
  useItemProblems,
  useItemStructure,
} from './replica-item'
import { type StudioTranslate, useItemReplica, useST, useStudio } from './store'

/** Everything about one item: plain fields (last writer wins) and collaborative texts. */
export function ItemEditor({ item }: { item: Item }) {
  const t = useST()
  const update = useStudio((state) => state.updateItem)
  const campaigns = useStudio((state) => state.campaigns)
  const members = useStudio((state) => state.members)
  const { replica, synced: replicaSynced } = useItemReplica(item)
  const author = members.find((member) => member.id === item.authorId)
  const save = (patch: Parameters<typeof update>[1]) => update(item.id, patch)

  return (
    <article className="editor" data-testid="item-editor" aria-label={item.title}>
      <header className="editor-head">
        <div>
          <h2 className="editor-title">{item.title}</h2>
          <p className="editor-sub">
            <span className={`pill pill-${item.status}`} data-testid="editor-status">
              {t(`status.${item.status}`)}
            </span>
            <AudienceLabel item={item} testId="editor-audience" />
            <span className="muted">
              {author
                ? `${t('item.by')} ${author.displayName}`
                : item.authorId === DELETED_MEMBER
                  ? `${t('item.by')} ${t('item.formerMember')}`
                  : ''}
              {item.source ? ` · ${item.source}` : ''}
            </span>
          </p>
        </div>
        <Presence itemId={item.id} />
      </header>

      {/* Not a second "Items" landmark beside the list's (axe landmark-unique). */}
      <section className="editor-grid">
        <CommitField
          wide
          label={t('field.title')}
          value={item.title}
          testId="field-title"
          onCommit={(title) => (title.trim() ? save({ title }) : false)}
        />
        <CommitField
          wide
          label={t('field.url')}
          type="url"
          value={item.url}
          onCommit={(url) => save({ url })}
        />
        <CommitField
          label={t('field.source')}
          value={item.source}
          onCommit={(source) => save({ source })}
        />
        <Field label={t('field.sourceKind')}>
          <ChoiceSelect
            choices={SOURCE_KINDS}
            labelOf={(kind) => t(`source.${kind}`)}
            value={item.sourceKind}
            onChange={(sourceKind) => void save({ sourceKind })}
          />
        </Field>
        <Field label={t('field.objective')}>
          <ChoiceSelect
            choices={OBJECTIVES}
            labelOf={(objective) => t(`objective.${objective}`)}
            value={item.objective}
            onChange={(objective) => void save({ objective })}
          />
        </Field>
        <Field label={t('field.status')}>
          {item.status === 'submitted' ? (
            // A proposal's status changes only through approve or reject (the core refuses more).
            <span className="muted small" data-testid="field-status-review">
              {t('item.statusByReview')}
            </span>
          ) : (
            <ChoiceSelect
              testId="field-status"
              choices={ITEM_STATUSES.filter((status) => status !== 'submitted')}
              labelOf={(status) => t(`statusOption.${status}`)}
              value={item.status}
              onChange={(status) => void save({ status })}
            />
          )}
        </Field>
        <CommitField
          wide
          label={t('field.topics')}
          value={item.topics.join(', ')}
          onCommit={(value) =>
            save({
              topics: [
                ...new Set(
                  value
                    .split(',')
                    .map((topic) => topic.trim())
                    .filter(Boolean),
                ),
              ],
            })
          }
        />
        <Field label={t('field.campaign')}>
          <CampaignSelect
            campaigns={campaigns}
            none={t('field.noCampaign')}
            value={item.campaignId}
            onChange={(campaignId) => void save({ campaignId })}
          />
        </Field>
        <CommitField
          label={t('field.priority')}
          type="number"
          value={String(item.priority)}
          onCommit={(value) => {
            const priority = Math.round(Number(value))
            if (value.trim() === '' || !Number.isFinite(priority)) return false
            return save({ priority: Math.min(100, Math.max(0, priority)) })
          }}
        />
        <DateTimeField
          label={t('field.publishAt')}
          value={item.publishAt}
          onCommit={(publishAt) => save({ publishAt })}
        />
        <DateTimeField
          label={t('field.expiresAt')}
          value={item.expiresAt}
          onCommit={(expiresAt) => save({ expiresAt })}
        />
        <div className="editor-actions">
          {item.status === 'submitted' ? null : item.status === 'archived' ? (
            <button type="button" className="button" onClick={() => void save({ status: 'draft' })}>
              {t('item.restore')}
            </button>
          ) : (
            <button
              type="button"
              className="button button-quiet"
              data-testid="archive"
              onClick={() => void save({ status: 'archived' })}
            >
              {t('item.archive')}
            </button>
          )}
        </div>
        <Lifecycle item={item} onSave={save} />
      </section>

      {replica && replicaSynced ? <Problems doc={replica.doc} itemId={item.id} /> : null}

      {replica ? (
        replicaSynced ? (
          <Texts item={item} />
        ) : (
          // Until the core sent its state, a text it has would look missing ("Start caption").
          <p className="muted" data-testid="texts-loading">
            {t('item.loadingTexts')}
          </p>
        )
      ) : null}
    </article>
  )
}

function Texts({ item }: { item: Item }) {
  const t = useST()
  const { replica } = useItemReplica(item)
  const [network, setNetwork] = useState<Network>('linkedin')
  // Re-render when texts appear or disappear (not on every keystroke).
  useItemStructure(replica?.doc ?? null, item.id)
  const captioned = useCaptionedNetworks(replica?.doc ?? null, item.id)
  if (!replica) return null
  const doc = replica.doc
  if (!replicaItem(doc, item.id)) {
    // Listed by the core but not in this window's replica yet (it arrives right after).
    return (
      <p className="muted" data-testid="texts-loading">
        {t('item.loadingTexts')}
      </p>
    )
  }
  const why = replicaWhy(doc, item.id)
  const caption = replicaCaption(doc, item.id, network)
  const variants = replicaVariants(doc, item.id, network)

  return (
    <>
      <section className="texts">
        <h3>{t('field.why')}</h3>
        {why ? (
          <CollabEditor
            text={why}
            awareness={replica.awareness}
            label={t('field.why')}
            testId="why-editor"
            maxLength={ITEM_LIMITS.why}
          />
        ) : (
          <p className="muted">…</p>
        )}
      </section>

      <section className="texts">
        <h3>{t('field.captions')}</h3>
        <div className="network-tabs" role="tablist">
          {NETWORKS.map((n) => {
            // Marked only when the caption has text: an empty one exists for every network.
            const has = captioned.has(n)
            return (
              <button
                key={n}
                type="button"
                role="tab"
                aria-selected={n === network}
                className={`tab network-tab${n === network ? ' active' : ''}${has ? ' has' : ''}`}
                data-testid={`tab-${n}`}
                data-has-caption={has}
                title={has ? t('item.hasCaption') : t('item.noCaption')}
                onClick={() => setNetwork(n)}
              >
                {NETWORK_NAMES[n]}
                {has ? (
                  <span className="tab-mark" aria-hidden="true">
                    ●
                  </span>
                ) : null}
                <span className="sr-only">
                  {` (${has ? t('item.hasCaption') : t('item.noCaption')})`}
                </span>
              </button>
            )
          })}
        </div>
        <div className="caption-row">
          <div className="caption-main">
            {caption ? (
              <CollabEditor
                key={`${item.id}-${network}`}
                text={caption}
                awareness={replica.awareness}
                label={`${t('field.captions')} · ${NETWORK_NAMES[network]}`}
                testId={`caption-${network}`}
                maxLength={ITEM_LIMITS.caption}
              />
            ) : (
              // Only items from before captions existed at creation lack the text.
              <button
                type="button"
                className="button"
                data-testid="start-caption"
                onClick={() => {
                  captionText(doc, item.id, network)
                }}
              >
                {t('item.startCaption')}
              </button>
            )}
            <h4 className="sub-head">{t('field.variants')}</h4>
            {variants.length === 0 ? <p className="muted small">{t('item.noVariants')}</p> : null}
            {variants.map((variant, index) => (
              <div className="variant" key={textKey(variant)}>
                <CollabEditor
                  text={variant}
                  awareness={replica.awareness}
                  label={`${t('field.variants')} ${index + 1} · ${NETWORK_NAMES[network]}`}
                  testId={`variant-${network}-${index}`}
                  maxLength={ITEM_LIMITS.caption}
                />
                <button
                  type="button"
                  className="link danger"
                  onClick={() => removeVariant(doc, item.id, network, variant)}
                >
                  {t('item.removeVariant')}
                </button>
              </div>
            ))}
            {variants.length >= ITEM_LIMITS.variants ? (
              <p className="muted small" data-testid="variants-full">
                {t('limit.variants', { limit: ITEM_LIMITS.variants })}
              </p>
            ) : (
              <button
                type="button"
                className="link"
                data-testid="add-variant"
                onClick={() => addVariant(doc, item.id, network)}
              >
                + {t('item.addVariant')}
              </button>
            )}
          </div>
          <Preview item={item} network={network} caption={caption} />
        </div>
      </section>
    </>
  )
}

function Preview({
  item,
  network,
  caption,
}: {
  item: Item
  network: Network
  caption: ReturnType<typeof replicaCaption>
}) {
  const t = useST()
  const language = useStudio((state) => state.language)
  const text = useYText(caption)
  const posted = postedText(network, text, item.url)
  const size = measure(network, text, item.url)
  return (
    <aside className={`preview preview-${network}`} aria-label={t('item.preview')}>
      <div className="preview-head">
        <span>
          {t('item.preview')} · {NETWORK_NAMES[network]}
        </span>
        <span className={`counter${size.over ? ' over' : ''}`} data-testid={`counter-${network}`}>
          {size.limit === null
            ? `${formatNumber(size.used, language)} · ${t('item.noLimit')}`
            : `${formatNumber(size.used, language)} / ${formatNumber(size.limit, language)}${
                size.over ? ` · ${t('item.over')}` : ''
              }`}
        </span>
      </div>
      {/* Text only: captions come from other people and are never rendered as markup. */}
      <p className="preview-text" data-testid={`preview-${network}`}>
        {posted.trim() ? posted : <span className="muted">{t('item.previewEmpty')}</span>}
      </p>
      {sharePagePrefillsCaption(network) ? null : (
        <div className="preview-card">
          <span className="preview-card-title">{item.title}</span>
          <span className="preview-card-host">{hostOf(item.url)}</span>
          <span className="muted small">{t('item.pasteNote')}</span>
        </div>
      )}
    </aside>
  )
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname
  } catch {
    return url
  }
}

/**
 * The item's place in its life, said plainly: only Published reaches employees, so an Approved
 * item says it is not visible yet and offers to publish it in one click.
 */
function Lifecycle({
  item,
  onSave,
}: {
  item: Item
  onSave: (patch: { status: Item['status'] }) => Promise<boolean>
}) {
  const t = useST()
  return (
    <div className="lifecycle" data-testid="lifecycle">
      <span className="lifecycle-hint" data-testid="lifecycle-hint">
        {t(`lifecycle.hint.${item.status}`)}
      </span>
      <span className="muted small">
        {t('audience.prefix')} <AudienceLabel item={item} testId="lifecycle-audience" />
      </span>
      {item.status === 'draft' || item.status === 'approved' ? (
        <button
          type="button"
          className="button button-primary"
          data-testid="publish"
          onClick={() => void onSave({ status: 'published' })}
        >
          {t('lifecycle.publish')}
        </button>
      ) : item.status === 'published' ? (
        <button
          type="button"
          className="button"
          data-testid="unpublish"
          onClick={() => void onSave({ status: 'approved' })}
        >
          {t('lifecycle.unpublish')}
        </button>
      ) : null}
    </div>
  )
}

/** What employees are not getting of this item, and why (see readItem). */
function Problems({ doc, itemId }: { doc: Parameters<typeof useItemProblems>[0]; itemId: string }) {
  const t = useST()
  const problems = useItemProblems(doc, itemId)
  if (problems.length === 0) return null
  return (
    <section className="problems" role="alert" data-testid="item-problems">
      <strong>{t('problems.title')}</strong>
      <ul>
        {problems.map((problem) => (
          <li key={`${problem.field}-${problem.code}`} data-testid="item-problem">
            {t(`problem.${problem.code}`, {
              field: fieldName(problem, t),
              limit: problem.limit ?? 0,
            })}
          </li>
        ))}
      </ul>
    </section>
  )
}

const FIELD_KEYS: Record<string, Parameters<StudioTranslate>[0]> = {
  title: 'field.title',
  url: 'field.url',
  source: 'field.source',
  sourceKind: 'field.sourceKind',
  objective: 'field.objective',
  topics: 'field.topics',
  status: 'field.status',
  publishAt: 'field.publishAt',
  expiresAt: 'field.expiresAt',
  priority: 'field.priority',
  campaignId: 'field.campaign',
  why: 'field.why',
}

function fieldName(problem: ItemFieldProblem, t: StudioTranslate): string {
  const [head, network] = problem.field.split('.')
  if ((head === 'captions' || head === 'variants') && network && network in NETWORK_NAMES) {
    const name = NETWORK_NAMES[network as Network]
    return `${t(head === 'captions' ? 'field.captions' : 'field.variants')} · ${name}`
  }
  const key = head ? FIELD_KEYS[head] : undefined
  return key ? t(key) : problem.field
}
