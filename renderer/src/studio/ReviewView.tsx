import { useState } from 'react'
import type { Item } from '../../../common/model/item'
import { DELETED_MEMBER } from '../../../common/model/member'
import { formatDate } from './fields'
import { ItemEditor } from './ItemEditor'
import { ItemRow } from './ItemRow'
import { useST, useStudio } from './store'

/** Employees' proposals: edit if needed, then approve (and publish) or reject with a reason. */
export function ReviewView() {
  const t = useST()
  const allItems = useStudio((state) => state.allItems)
  const selectedId = useStudio((state) => state.selectedId)
  const members = useStudio((state) => state.members)
  const language = useStudio((state) => state.language)
  const submitted = allItems.filter((item) => item.status === 'submitted')
  const selected = submitted.find((item) => item.id === selectedId) ?? null

  return (
    <div className="split">
      <section className="list-pane" aria-label={t('review.title')}>
        <h2 className="pane-title">{t('review.title')}</h2>
        {submitted.length === 0 ? (
          <p className="empty" data-testid="review-empty">
            {t('review.empty')}
          </p>
        ) : (
          <ul className="studio-items" data-testid="review-list">
            {submitted.map((item) => {
              const author = members.find((member) => member.id === item.authorId)
              return (
                <ItemRow
                  key={item.id}
                  item={item}
                  testId="review-item"
                  meta={
                    <span className="muted small">
                      {t('item.createdBy')}{' '}
                      {author?.displayName ??
                        (item.authorId === DELETED_MEMBER
                          ? t('item.formerMember')
                          : item.authorId)}{' '}
                      · {formatDate(item.createdAt, language)}
                    </span>
                  }
                />
              )
            })}
          </ul>
        )}
      </section>
      <section className="detail-pane">
        {selected ? (
          <>
            <Decision item={selected} key={`decision-${selected.id}`} />
            <ItemEditor item={selected} key={selected.id} />
          </>
        ) : submitted.length > 0 ? (
          <p className="empty">{t('items.pick')}</p>
        ) : null}
      </section>
    </div>
  )
}

function Decision({ item }: { item: Item }) {
  const t = useST()
  const approve = useStudio((state) => state.approve)
  const reject = useStudio((state) => state.reject)
  const [rejecting, setRejecting] = useState(false)
  const [reason, setReason] = useState('')
  return (
    <div className="decision" data-testid="decision">
      <p className="muted small">{t('review.editHint')}</p>
      <div className="row">
        <button
          type="button"
          className="button button-primary"
          data-testid="approve-publish"
          onClick={() => void approve(item.id, true)}
        >
          {t('review.approvePublish')}
        </button>
        <button type="button" className="button" onClick={() => void approve(item.id, false)}>
          {t('review.approve')}
        </button>
        <button
          type="button"
          className="button button-danger"
          data-testid="reject"
          onClick={() => setRejecting(true)}
        >
          {t('review.reject')}
        </button>
      </div>
      {rejecting ? (
        <form
          className="reject-form"
          onSubmit={(event) => {
            event.preventDefault()
            void reject(item.id, reason)
          }}
        >
          <textarea
            required
            aria-label={t('review.reason')}
            placeholder={t('review.reason')}
            data-testid="reject-reason"
            value={reason}
            maxLength={1000}
            onChange={(event) => setReason(event.target.value)}
          />
          <button
            type="submit"
            className="button button-danger"
            data-testid="confirm-reject"
            disabled={!reason.trim()}
          >
            {t('review.confirmReject')}
          </button>
        </form>
      ) : null}
    </div>
  )
}
