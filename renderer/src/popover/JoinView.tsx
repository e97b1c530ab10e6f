import { type FormEvent, useState } from 'react'
import { parseInvitation, readTokenClaims } from '../../../common/model/invitation'
import type { Role } from '../../../common/model/member'
import { Megaphone } from '../components/Megaphone'
import { formatDateTime } from '../state/errors'
import { extractInvitation } from '../state/logic'
import { useLanguage, useStore, useT } from '../state/store'

type Details = { name: string; role: Role; relay: string; expiresAt: Date }

/** What an invitation grants, read before joining: who, as what, on which relay, until when. */
function describe(link: string): Details | null {
  try {
    const invitation = parseInvitation(link)
    const claims = readTokenClaims(invitation.token)
    return {
      name: claims.name,
      role: claims.role,
      relay: new URL(invitation.relayUrl).host,
      expiresAt: new Date(claims.exp * 1000),
    }
  } catch {
    return null
  }
}

export function JoinView() {
  const t = useT()
  const language = useLanguage()
  const join = useStore((state) => state.join)
  const error = useStore((state) => state.joinError)
  const clearError = useStore((state) => state.clearJoinError)
  const offered = useStore((state) => state.offeredInvitation)
  const notice = useStore((state) => state.notice)
  const offerInvitation = useStore((state) => state.offerInvitation)
  const joined = useStore((state) => state.status?.session != null)
  const [pasted, setPasted] = useState(offered ?? '')
  const [busy, setBusy] = useState(false)
  // A link inside an e-mail's text is found; what is joined is the link alone.
  const invitation = extractInvitation(pasted)
  const found = invitation !== pasted.trim() && invitation.startsWith('porte-voix://')
  const details = describe(invitation)
  const expired = details !== null && details.expiresAt.getTime() <= Date.now()

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    try {
      await join(invitation)
    } catch {
      // The store keeps the reason; the pasted text stays so it can be corrected.
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="join panel" onSubmit={submit}>
      <div className="join-mark">
        <Megaphone />
      </div>
      <h1>{t('join.title')}</h1>
      {notice ? (
        <p className="success" role="status" data-testid="join-notice">
          {t.say(notice)}
        </p>
      ) : null}
      <p className="muted">{t('join.help')}</p>
      <textarea
        aria-label={t('join.title')}
        data-testid="join-invitation"
        placeholder={t('join.placeholder')}
        value={pasted}
        onChange={(event) => {
          setPasted(event.target.value)
          // A reason given for the previous link never stays under a new one.
          if (error) clearError()
        }}
        rows={4}
      />
      {found ? (
        <p className="muted small" data-testid="join-found">
          {t('join.found')}
        </p>
      ) : null}
      {details ? (
        <p className="muted" data-testid="join-details">
          {t('join.details', {
            name: details.name,
            role: t(`account.role.${details.role}`),
            relay: details.relay,
          })}{' '}
          {expired
            ? null
            : t('join.expires', { date: formatDateTime(details.expiresAt, language) })}
        </p>
      ) : null}
      {expired && details ? (
        <p className="error" role="alert" data-testid="join-error">
          {t('join.expired', { date: formatDateTime(details.expiresAt, language) })}
        </p>
      ) : error ? (
        <p className="error" role="alert" data-testid="join-error" data-problem={error.key}>
          {t.say(error)}
        </p>
      ) : null}
      <button
        type="submit"
        className="primary"
        disabled={busy || invitation === '' || expired}
        data-testid="join-submit"
      >
        {busy ? t('join.joining') : t('join.submit')}
      </button>
      {joined && offered ? (
        <button type="button" className="link" onClick={() => offerInvitation(null)}>
          {t('join.dismiss')}
        </button>
      ) : null}
    </form>
  )
}
