import './studio.css'
import { formatBytes } from '../../../common/format/typography'
import { canCurate } from '../../../common/model/member'
import { useDocumentPreferences } from '../state/document-preferences'
import { CampaignsView } from './CampaignsView'
import { FeedsView } from './FeedsView'
import { ItemsView } from './ItemsView'
import { RecognitionView } from './RecognitionView'
import { ResultsView } from './ResultsView'
import { ReviewView } from './ReviewView'
import { type StudioView, useST, useStudio } from './store'

const VIEWS: readonly StudioView[] = [
  'items',
  'review',
  'campaigns',
  'results',
  'recognition',
  'feeds',
]

/** The champion studio window (index.html#studio). */
export function StudioApp() {
  useDocumentPreferences(
    useStudio((state) => state.language),
    useStudio((state) => state.theme),
  )
  const t = useST()
  const client = useStudio((state) => state.client)
  const status = useStudio((state) => state.status)
  const view = useStudio((state) => state.view)

  if (!client || !status) {
    return (
      <main className="studio studio-center">
        <p className="muted">{t('studio.loading')}</p>
      </main>
    )
  }
  const session = status.session
  if (!session || !canCurate(session.role)) {
    // Employees never get an editing UI; the relay refuses their writes anyway.
    return (
      <main className="studio studio-center">
        <section className="refusal" role="alert" data-testid="studio-refusal">
          <h1>{session ? t('studio.refused.title') : t('studio.notJoined.title')}</h1>
          <p>{session ? t('studio.refused.body') : t('studio.notJoined.body')}</p>
        </section>
      </main>
    )
  }
  return (
    <main className="studio" data-testid="studio">
      <TopBar />
      <div className="studio-body">
        <Nav />
        <div className="studio-content">
          <ErrorBanner />
          <RefusedBanner />
          {view === 'items' ? <ItemsView /> : null}
          {view === 'review' ? <ReviewView /> : null}
          {view === 'campaigns' ? <CampaignsView /> : null}
          {view === 'results' ? <ResultsView /> : null}
          {view === 'recognition' ? <RecognitionView /> : null}
          {view === 'feeds' ? <FeedsView /> : null}
        </div>
      </div>
    </main>
  )
}

function TopBar() {
  const t = useST()
  const status = useStudio((state) => state.status)
  const sync = status?.sync ?? 'offline'
  return (
    <header className="studio-top">
      {/* The window's one level-one heading (every view's own titles are h2). */}
      <h1 className="brand">
        Porte-voix <span className="brand-sub">{t('studio.title')}</span>
      </h1>
      <span className="workspace">{status?.session?.workspaceName ?? ''}</span>
      <span
        className={`sync sync-${sync}`}
        data-testid="sync-status"
        title={status?.lastError ?? ''}
      >
        {t(`status.${sync}`)}
      </span>
      <span className="me" data-testid="me">
        {status?.session?.displayName}
      </span>
    </header>
  )
}

function Nav() {
  const t = useST()
  const view = useStudio((state) => state.view)
  const setView = useStudio((state) => state.setView)
  const allItems = useStudio((state) => state.allItems)
  const pending = allItems.filter((item) => item.status === 'submitted').length
  return (
    <nav className="studio-nav" aria-label={t('studio.title')}>
      {VIEWS.map((name) => (
        <button
          key={name}
          type="button"
          className={`nav-item${view === name ? ' active' : ''}`}
          aria-current={view === name ? 'page' : undefined}
          data-testid={`nav-${name}`}
          onClick={() => setView(name)}
        >
          {t(`nav.${name}`)}
          {name === 'review' && pending > 0 ? <span className="count">{pending}</span> : null}
        </button>
      ))}
    </nav>
  )
}

function ErrorBanner() {
  const t = useST()
  const error = useStudio((state) => state.error)
  const clear = useStudio((state) => state.clearError)
  if (!error) return null
  return (
    <div className="banner" role="alert" data-testid="studio-error">
      <span>{error}</span>
      <button type="button" className="link" onClick={clear}>
        {t('error.dismiss')}
      </button>
    </div>
  )
}

/**
 * A change of mine that nobody else got: refused by the core before sending (it was discarded,
 * the texts are back as the core has them), or by the relay (the status says so; Discard drops
 * it and resyncs the document from the relay).
 */
function RefusedBanner() {
  const t = useST()
  const language = useStudio((state) => state.language)
  const refused = useStudio((state) => state.refused)
  const clear = useStudio((state) => state.clearRefused)
  const discard = useStudio((state) => state.discardRelayRefused)
  const problem = useStudio((state) => state.status?.problem ?? null)
  const relayRefused =
    problem?.code === 'changeTooLarge' || problem?.code === 'changeRefused' ? problem : null
  if (!refused && !relayRefused) return null
  let text: string
  if (refused) {
    const bytes = Number(refused.problem.vars?.bytes ?? 0)
    const limit = Number(refused.problem.vars?.limit ?? 0)
    text =
      refused.problem.code === 'changeTooLarge'
        ? t('refused.changeTooLarge', {
            size: formatBytes(bytes, language),
            limit: formatBytes(limit, language),
          })
        : refused.problem.code === 'storageFull' || refused.problem.code === 'storageFailed'
          ? t('refused.storageFull')
          : t('refused.changeRefused')
  } else {
    text =
      relayRefused?.code === 'changeTooLarge'
        ? t('refused.relayTooLarge')
        : t('refused.relayRefused')
  }
  return (
    <div className="banner refused-banner" role="alert" data-testid="change-refused">
      <span>{text}</span>
      {refused ? (
        <button type="button" className="link" onClick={clear}>
          {t('error.dismiss')}
        </button>
      ) : (
        <button
          type="button"
          className="link"
          data-testid="change-refused-discard"
          onClick={() => void discard()}
        >
          {t('refused.discard')}
        </button>
      )}
    </div>
  )
}
