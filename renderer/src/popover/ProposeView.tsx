import { type FormEvent, useEffect, useState } from 'react'
import { describeError, proposalReason } from '../state/errors'
import { useLanguage, useStore, useT } from '../state/store'
import { FormMessage, type FormOutcome } from './FormMessage'

const EMPTY = { url: '', title: '', note: '', caption: '' }

/**
 * A champion's decision lives in the curators' document, which this device does not hold: the
 * core asks the relay when the list is read. While the list is on screen with a proposal still
 * awaiting review, read it again now and then (one small request, only while shown).
 */
const AWAITING_REFRESH_MS = 5_000

function useFatesWhileShown(awaiting: boolean): void {
  const refreshMine = useStore((state) => state.refreshMine)
  useEffect(() => {
    void refreshMine()
  }, [refreshMine])
  useEffect(() => {
    if (!awaiting) return
    const timer = setInterval(() => void refreshMine(), AWAITING_REFRESH_MS)
    return () => clearInterval(timer)
  }, [awaiting, refreshMine])
}

export function ProposeView() {
  const t = useT()
  const language = useLanguage()
  const propose = useStore((state) => state.propose)
  const proposals = useStore((state) => state.proposals)
  useFatesWhileShown(proposals.some((p) => p.state === 'pending' || p.state === 'sending'))
  const [form, setForm] = useState(EMPTY)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<FormOutcome | null>(null)
  const field = (name: keyof typeof EMPTY) => ({
    value: form[name],
    onChange: (event: { target: { value: string } }) =>
      setForm({ ...form, [name]: event.target.value }),
  })

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setMessage(null)
    try {
      const { queued } = await propose({
        url: form.url.trim(),
        title: form.title.trim(),
        note: form.note.trim(),
        caption: form.caption.trim(),
      })
      setForm(EMPTY)
      setMessage({ ok: true, said: { key: queued ? 'propose.queued' : 'propose.sent' } })
    } catch (error) {
      // The form keeps what was typed so it can be fixed.
      setMessage({ ok: false, said: describeError(error, 'propose') })
    } finally {
      setBusy(false)
    }
  }

  const date = new Intl.DateTimeFormat(language, { dateStyle: 'medium' })
  // A champion's reason is shown as written; the relay's own refusal becomes a sentence.
  const reasonText = (reason: string) => {
    const said = proposalReason(reason)
    return said ? t.say(said) : reason
  }
  return (
    <section className="panel propose">
      <h1>{t('propose.title')}</h1>
      <p className="muted small">{t('propose.help')}</p>
      <form className="form" onSubmit={submit} data-testid="propose-form">
        <label>
          {t('propose.url')}
          <input
            type="url"
            required
            placeholder={t('propose.urlPlaceholder')}
            data-testid="propose-url"
            {...field('url')}
          />
        </label>
        <label>
          {t('propose.titleField')}
          <input
            type="text"
            required
            maxLength={300}
            data-testid="propose-title"
            {...field('title')}
          />
        </label>
        <label>
          {t('propose.note')}
          <textarea
            rows={2}
            maxLength={2000}
            placeholder={t('propose.notePlaceholder')}
            data-testid="propose-note"
            {...field('note')}
          />
        </label>
        <label>
          {t('propose.caption')}
          <textarea rows={2} maxLength={3000} data-testid="propose-caption" {...field('caption')} />
        </label>
        <FormMessage message={message} testId="propose-message" />
        <button type="submit" className="primary" disabled={busy} data-testid="propose-submit">
          {busy ? t('propose.sending') : t('propose.submit')}
        </button>
      </form>
      <h2 className="section-title">{t('propose.mine')}</h2>
      {proposals.length === 0 ? (
        <p className="muted small">{t('propose.none')}</p>
      ) : (
        <ul className="proposals" data-testid="proposals">
          {proposals.map((proposal) => (
            <li
              key={proposal.id}
              className="proposal"
              data-testid="proposal"
              data-proposal-id={proposal.id}
            >
              <div className="proposal-head">
                <span className="proposal-title">{proposal.title}</span>
                <span className={`state state-${proposal.state}`} data-testid="proposal-state">
                  {t(`proposal.${proposal.state}`)}
                </span>
              </div>
              <span className="muted small proposal-url">
                {date.format(new Date(proposal.proposedAt))} · {proposal.url}
              </span>
              {proposal.state === 'rejected' && proposal.reason ? (
                <p className="reason">
                  {t('proposal.reason', {
                    reason: reasonText(proposal.reason),
                  })}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
