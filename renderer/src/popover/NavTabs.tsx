import { useStore, useT, type View } from '../state/store'

const VIEWS: { view: View; key: 'nav.queue' | 'nav.propose' | 'nav.stats' | 'nav.settings' }[] = [
  { view: 'queue', key: 'nav.queue' },
  { view: 'propose', key: 'nav.propose' },
  { view: 'stats', key: 'nav.stats' },
  { view: 'settings', key: 'nav.settings' },
]

export function NavTabs() {
  const t = useT()
  const current = useStore((state) => state.view)
  const setView = useStore((state) => state.setView)
  const select = useStore((state) => state.select)
  return (
    <nav className="nav" aria-label={t('appName')}>
      {VIEWS.map(({ view, key }) => (
        <button
          key={view}
          type="button"
          className={view === current ? 'nav-tab active' : 'nav-tab'}
          aria-current={view === current ? 'page' : undefined}
          data-testid={`nav-${view}`}
          onClick={() => {
            // Tapping "Share" again returns from an item to the list.
            if (view === 'queue' && current === 'queue') select(null)
            setView(view)
          }}
        >
          {t(key)}
        </button>
      ))}
    </nav>
  )
}
