import { useState } from 'react'
import type { AccountExport } from '../../../common/contract/api'
import { describeError } from '../state/errors'
import { useStore, useT } from '../state/store'
import { FormMessage, type FormOutcome } from './FormMessage'

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

/** One of the account's actions: its button, and under it what it does. */
function AccountAction(props: {
  testId: string
  label: string
  help: string
  disabled: boolean
  danger?: boolean
  /** For a button that opens the confirmation: whether it is open for this one. */
  expanded?: boolean
  onClick: () => void
}) {
  return (
    <div className="account-action">
      <button
        type="button"
        className={props.danger ? 'secondary danger' : 'secondary'}
        data-testid={props.testId}
        disabled={props.disabled}
        aria-expanded={props.expanded}
        onClick={props.onClick}
      >
        {props.label}
      </button>
      <p className="muted small">{props.help}</p>
    </div>
  )
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
  const [message, setMessage] = useState<FormOutcome | null>(null)
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

      <AccountAction
        testId="account-export"
        label={t('account.export')}
        help={t('account.exportHelp')}
        disabled={busy}
        onClick={() =>
          void run(async () => {
            const file = download(await exportData())
            setMessage({ ok: true, said: { key: 'account.exported', vars: { file } } })
          })
        }
      />
      <AccountAction
        testId="account-leave"
        label={t('account.leave')}
        help={t('account.leaveHelp')}
        disabled={busy}
        expanded={confirming === 'leave'}
        onClick={() => setConfirming(confirming === 'leave' ? null : 'leave')}
      />
      <AccountAction
        testId="account-delete"
        danger
        label={t('account.leaveDelete')}
        help={`${t('account.leaveDeleteHelp')} ${t('account.relayDeletes')}`}
        disabled={busy}
        expanded={confirming === 'delete'}
        onClick={() => setConfirming(confirming === 'delete' ? null : 'delete')}
      />

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

      <FormMessage message={message} testId="account-message" />
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
