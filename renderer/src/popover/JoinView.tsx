import { type FormEvent, useState } from 'react'
import { Megaphone } from '../components/Megaphone'
import { useStore, useT } from '../state/store'

export function JoinView() {
  const t = useT()
  const join = useStore((state) => state.join)
  const error = useStore((state) => state.error)
  const [invitation, setInvitation] = useState('')
  const [busy, setBusy] = useState(false)

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
    </form>
  )
}
