import { canCurate } from '../../../common/model/member'
import { describeStatus, isUnreachable } from '../state/errors'
import { useStore, useT } from '../state/store'

/** The studio: through the desktop bridge in the app, the same page's #studio in the dev host. */
export function openStudio(): void {
  if (window.porteVoix) window.porteVoix.openStudio()
  else window.open(`${location.pathname}${location.search}#studio`, '_blank', 'noopener')
}

/** Always visible: who I am, where, and whether the queue is in step with the relay. */
export function StatusBar() {
  const t = useT()
  const status = useStore((state) => state.status)
  const pendingOutbox = useStore((state) => state.pendingOutbox)
  const sync = status?.sync ?? 'offline'
  const problem = describeStatus(status)
  const curator = status?.session ? canCurate(status.session.role) : false
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
        {curator ? (
          <button
            type="button"
            className="link small open-studio"
            data-testid="open-studio"
            onClick={openStudio}
          >
            {t('studio.open')}
          </button>
        ) : null}
        <span
          className={`sync sync-${sync}`}
          data-testid="sync-status"
          data-state={sync}
          title={problem ? t.say(problem) : ''}
          role="status"
        >
          <span className="dot" aria-hidden="true" />
          {t(`status.${sync}`)}
        </span>
      </header>
      {status?.session && problem && !isUnreachable(problem) ? (
        // Refused, revoked, closed for good: reconnecting will not help, so say what will.
        <p
          className="error-banner"
          role="alert"
          data-testid="status-problem"
          data-problem={problem.key}
        >
          {t.say(problem)}
        </p>
      ) : status?.session && sync === 'offline' ? (
        <p className="offline-banner" data-testid="offline-banner">
          {t('status.offlineBanner')}
          {pendingOutbox > 0 ? ` · ${t.plural('status.pending', pendingOutbox)}` : null}
        </p>
      ) : null}
    </>
  )
}
