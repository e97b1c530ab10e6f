import { useState } from 'react'
import type { AccountExport } from '../../../common/contract/api'
import { type Described, describeError } from '../state/errors'
import { useStore, useT } from '../state/store'

/** Saves the export through the page's own download (a save dialog in the app, a file in Chromium). */
function download(data: AccountExport): string {
  const file = `porte-voix-data-${data.exportedAt.slice(0, 10)}.json`
  const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = file
  document.body.append(link)
  link.click()
  link.remove()
  // After the click has been handled: revoking at once can cancel the download.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
  return file
}

type Pending = 'leave' | 'delete' | null

/** The core's answer when the relay could not delete my data (account-handlers.ts). */
function relayUnreachable(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown }
  return code === 'unavailable' && typeof message === 'string' && /relay could not/.test(message)
}

/** Who I am, where, my data and leaving: what is kept and what is deleted is said before. */
export function AccountSection() {
  const t = useT()
  const session = useStore((state) => state.status?.session ?? null)
  const leave = useStore((state) => state.leave)
  const leaveAndDelete = useStore((state) => state.leaveAndDelete)
  const exportData = useStore((state) => state.exportData)
  const [confirming, setConfirming] = useState<Pending>(null)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ ok: boolean; said: Described } | null>(null)
  // The relay could not delete (offline): the person may delete on this device only.
  const [offerLocal, setOfferLocal] = useState(false)
  if (!session) return null
  const workspace = session.workspaceName ?? session.workspaceId
  let relay = session.relayUrl
  try {
    relay = new URL(session.relayUrl).host
  } catch {
    // Shown as stored.
  }

  const run = async (action: () => Promise<void>) => {
    setBusy(true)
    setMessage(null)
    setOfferLocal(false)
    try {
      await action()
    } catch (error) {
      if (action === leaveAndDelete && relayUnreachable(error)) {
        setConfirming(null)
        setOfferLocal(true)
        setMessage({ ok: false, said: { key: 'account.relayUnreachable' } })
        return
      }
      setMessage({ ok: false, said: describeError(error, 'account') })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="panel account" aria-labelledby="account-title" data-testid="account">
      <h2 id="account-title" className="section-title">
        {t('account.title')}
      </h2>
      <p data-testid="account-who">
        {t('account.who', {
          name: session.displayName,
          role: t(`account.role.${session.role}`),
        })}
      </p>
      <p className="muted small" data-testid="account-workspace">
        {t('account.workspace', { workspace })} · {t('account.relay', { relay })}
      </p>

      <div className="account-action">
        <button
          type="button"
          className="secondary"
          data-testid="account-export"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              const file = download(await exportData())
              setMessage({ ok: true, said: { key: 'account.exported', vars: { file } } })
            })
          }
        >
          {t('account.export')}
        </button>
        <p className="muted small">{t('account.exportHelp')}</p>
      </div>

      <div className="account-action">
        <button
          type="button"
          className="secondary"
          data-testid="account-leave"
          disabled={busy}
          aria-expanded={confirming === 'leave'}
          onClick={() => setConfirming(confirming === 'leave' ? null : 'leave')}
        >
          {t('account.leave')}
        </button>
        <p className="muted small">{t('account.leaveHelp')}</p>
      </div>

      <div className="account-action">
        <button
          type="button"
          className="secondary danger"
          data-testid="account-delete"
          disabled={busy}
          aria-expanded={confirming === 'delete'}
          onClick={() => setConfirming(confirming === 'delete' ? null : 'delete')}
        >
          {t('account.leaveDelete')}
        </button>
        <p className="muted small">
          {t('account.leaveDeleteHelp')} {t('account.relayDeletes')}
        </p>
      </div>

      {confirming ? (
        <fieldset className="confirm" data-testid="account-confirm">
          <legend>{t('account.leaveConfirm', { workspace })}</legend>
          <div className="inline">
            <button
              type="button"
              className="primary danger"
              data-testid="account-confirm-yes"
              disabled={busy}
              onClick={() => void run(confirming === 'delete' ? leaveAndDelete : leave)}
            >
              {busy ? t('account.leaving') : t('account.confirm')}
            </button>
            <button type="button" className="link" onClick={() => setConfirming(null)}>
              {t('account.cancel')}
            </button>
          </div>
        </fieldset>
      ) : null}

      {message ? (
        <p
          className={message.ok ? 'success' : 'error'}
          role={message.ok ? 'status' : 'alert'}
          data-testid="account-message"
        >
          {t.say(message.said)}
        </p>
      ) : null}
      {offerLocal ? (
        <button
          type="button"
          className="secondary danger"
          data-testid="account-delete-local"
          disabled={busy}
          onClick={() => void run(() => leaveAndDelete(true))}
        >
          {t('account.deleteLocalOnly')}
        </button>
      ) : null}
    </section>
  )
}
