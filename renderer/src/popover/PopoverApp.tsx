import { useDocumentPreferences } from '../state/document-preferences'
import { useLanguage, useStore, useT } from '../state/store'
import { ItemView } from './ItemView'
import { JoinView } from './JoinView'
import { NavTabs } from './NavTabs'
import { NudgeBanner } from './nudges/NudgeBanner'
import { ProposeView } from './ProposeView'
import { QueueView } from './QueueView'
import { SettingsView } from './SettingsView'
import { StatsView } from './StatsView'
import { StatusBar } from './StatusBar'

export function PopoverApp() {
  useDocumentPreferences(
    useLanguage(),
    useStore((state) => state.settings?.theme),
  )
  const t = useT()
  const status = useStore((state) => state.status)
  const offeredInvitation = useStore((state) => state.offeredInvitation)
  const client = useStore((state) => state.client)
  const view = useStore((state) => state.view)
  const queue = useStore((state) => state.queue)
  const selectedId = useStore((state) => state.selectedId)
  const selected = queue.find((entry) => entry.item.id === selectedId) ?? null

  if (!client || !status) {
    return (
      <p className="loading" aria-busy="true">
        {t('status.connecting')}
      </p>
    )
  }
  if (!status.session || offeredInvitation) {
    return (
      <main className="popover">
        <StatusBar />
        <div className="content">
          <JoinView key={offeredInvitation ?? 'typed'} />
        </div>
      </main>
    )
  }
  return (
    <main className="popover">
      <StatusBar />
      <NavTabs />
      <ErrorBanner />
      <NudgeBanner />
      <div className="content">
        {view === 'queue' ? selected ? <ItemView entry={selected} /> : <QueueView /> : null}
        {view === 'propose' ? <ProposeView /> : null}
        {view === 'stats' ? <StatsView /> : null}
        {view === 'settings' ? <SettingsView /> : null}
      </div>
    </main>
  )
}

/** A failed load (queue, stats…) is said, not swallowed; what was shown before stays. */
function ErrorBanner() {
  const t = useT()
  const error = useStore((state) => state.error)
  const clearError = useStore((state) => state.clearError)
  if (!error) return null
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <span>{t.say(error)}</span>
      <button type="button" className="link" onClick={clearError}>
        {t('error.dismiss')}
      </button>
    </div>
  )
}
