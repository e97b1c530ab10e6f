import { useStore, useT } from '../state/store'

/** Always visible: who I am, where, and whether the queue is in step with the relay. */
export function StatusBar() {
  const t = useT()
  const status = useStore((state) => state.status)
  const pendingOutbox = useStore((state) => state.pendingOutbox)
  const sync = status?.sync ?? 'offline'
  return (
    <>
      <header className="status-bar">
        <span className="brand">{t('appName')}</span>
        {status?.session?.workspaceName ? (
          <span className="workspace" title={status.session.workspaceName}>
            {status.session.workspaceName}
          </span>
        ) : (
          <span className="workspace" />
        )}
        <span
          className={`sync sync-${sync}`}
          data-testid="sync-status"
          data-state={sync}
          title={status?.lastError ?? ''}
          role="status"
        >
          <span className="dot" aria-hidden="true" />
          {t(`status.${sync}`)}
        </span>
      </header>
      {status?.session && sync === 'offline' ? (
        <p className="offline-banner" data-testid="offline-banner">
          {t('status.offlineBanner')}
          {pendingOutbox > 0 ? ` · ${t.plural('status.pending', pendingOutbox)}` : null}
        </p>
      ) : null}
    </>
  )
}
