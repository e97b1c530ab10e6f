import { Suspense, useEffect } from 'react'
import { useDocumentPreferences } from '../state/document-preferences'
import { useLanguage, useStore, useT } from '../state/store'
import {
  ItemView,
  JoinView,
  ProposeView,
  preloadViews,
  SettingsView,
  StatsView,
} from './lazy-views'
import { NavTabs } from './NavTabs'
// In the entry chunk: it listens for nudges from the start.
import { NudgeBanner } from './nudges/NudgeBanner'
import { QueueView } from './QueueView'
import { StatusBar } from './StatusBar'

/** Without a first paint of rows to wait for (not joined, an empty queue): preload after this. */
const PRELOAD_AFTER_MS = 1_000

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
  const connected = client !== null && status !== null
  useEffect(() => {
    if (!connected) return
    const timer = setTimeout(preloadViews, PRELOAD_AFTER_MS)
    return () => clearTimeout(timer)
  }, [connected])

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
          <Suspense fallback={null}>
            <JoinView key={offeredInvitation ?? 'typed'} />
          </Suspense>
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
        {/* Nothing while a view's chunk loads: only if it is opened before the preload is done. */}
        <Suspense fallback={null}>
          {view === 'queue' ? selected ? <ItemView entry={selected} /> : <QueueView /> : null}
          {view === 'propose' ? <ProposeView /> : null}
          {view === 'stats' ? <StatsView /> : null}
          {view === 'settings' ? <SettingsView /> : null}
        </Suspense>
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
