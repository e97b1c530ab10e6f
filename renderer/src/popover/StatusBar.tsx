import { useStore, useT } from '../state/store'

export function StatusBar() {
  const t = useT()
  const status = useStore((state) => state.status)
  const sync = status?.sync ?? 'offline'
  return (
    <header className="status-bar">
      <span className="brand">{t('appName')}</span>
      {status?.session?.workspaceName ? (
        <span className="workspace">{status.session.workspaceName}</span>
      ) : null}
      <span
        className={`sync sync-${sync}`}
        data-testid="sync-status"
        title={status?.lastError ?? ''}
      >
        {t(`status.${sync}`)}
      </span>
    </header>
  )
}
