import { type FormEvent, useState } from 'react'
import { parseInvitation, readTokenClaims } from '../../../common/model/invitation'
import { Megaphone } from '../components/Megaphone'
import { useStore, useT } from '../state/store'

/** What an invitation grants, read before joining: who, as what, on which relay. */
function describe(link: string): { name: string; role: string; relay: string } | null {
  try {
    const invitation = parseInvitation(link)
    const claims = readTokenClaims(invitation.token)
    return { name: claims.name, role: claims.role, relay: new URL(invitation.relayUrl).host }
  } catch {
    return null
  }
}

export function JoinView() {
  const t = useT()
  const join = useStore((state) => state.join)
  const error = useStore((state) => state.error)
  const offered = useStore((state) => state.offeredInvitation)
  const offerInvitation = useStore((state) => state.offerInvitation)
  const joined = useStore((state) => state.status?.session != null)
  const [invitation, setInvitation] = useState(offered ?? '')
  const [busy, setBusy] = useState(false)
  const details = describe(invitation)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    try {
      await join(invitation)
    } catch {
      // The store keeps the message; the pasted text stays so it can be corrected.
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
      <p className="muted">{t('join.help')}</p>
      <textarea
        aria-label={t('join.title')}
        data-testid="join-invitation"
        placeholder={t('join.placeholder')}
        value={invitation}
        onChange={(event) => setInvitation(event.target.value)}
        rows={4}
      />
      {details ? (
        <p className="muted" data-testid="join-details">
          {t('join.details', details)}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <button
        type="submit"
        className="primary"
        disabled={busy || invitation.trim() === ''}
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
