import type { QueueEntry } from '../../../common/contract/api'
import type { Network } from '../../../common/model/networks'
import { placeholders } from '../../../common/share/captions'
import { sharePagePrefillsCaption } from '../../../common/share/posted-text'
import { CampaignBadge, ObjectiveBadge } from '../components/Badges'
import { ItemImage } from '../components/ItemImage'
import type { Described } from '../state/errors'
import { checkShare, draftKey, previewLink, safeImageUrl } from '../state/logic'
import { useStore, useT } from '../state/store'
import { CampaignProgressLine } from './CampaignProgressLine'
import { CaptionEditor, selectInCaption } from './CaptionEditor'

export function ItemView({ entry }: { entry: QueueEntry }) {
  const t = useT()
  const timeZone = useStore((state) => state.settings?.timeZone)
  const { item, campaign, sharedOn, suggested } = entry
  const select = useStore((state) => state.select)
  const networks = useStore((state) => state.settings?.networks ?? [])
  const chosen = useStore((state) => state.network)
  const setChosen = useStore((state) => state.chooseNetwork)
  const network = chosen && networks.includes(chosen) ? chosen : (networks[0] ?? null)
  const image = safeImageUrl(item.imageUrl)
  const client = useStore((state) => state.client)

  return (
    <article className="item-view" data-testid="item-view">
      <button type="button" className="link back" onClick={() => select(null)}>
        ← {t('item.back')}
      </button>
      {/* The core fetches and keeps the image: the window loads no third-party URL. */}
      <ItemImage
        client={client}
        url={image}
        className="item-image"
        alt={t('item.imageAlt', { title: item.title })}
      />
      <h1 data-testid="item-title" dir="auto">
        {item.title}
      </h1>
      <p className="item-meta">
        <ObjectiveBadge objective={item.objective} t={t} />
        {campaign ? (
          <CampaignBadge campaign={campaign} t={t} now={new Date()} timeZone={timeZone} />
        ) : null}
        {item.source ? (
          <span className="muted small">{t('item.source', { source: item.source })}</span>
        ) : null}
      </p>
      {campaign ? <CampaignProgressLine campaign={campaign} /> : null}
      {item.why ? (
        <section className="why">
          <h2 className="section-title">{t('item.why')}</h2>
          <p data-testid="item-why">{item.why}</p>
        </section>
      ) : null}
      {network === null ? (
        <p className="notice">{t('item.noNetworks')}</p>
      ) : (
        <>
          <div
            className="networks"
            role="tablist"
            aria-label={t('item.caption')}
            onKeyDown={(event) => {
              // Arrow keys move between tabs, as in any tab list.
              const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0
              if (step === 0) return
              const next =
                networks[(networks.indexOf(network) + step + networks.length) % networks.length]
              if (!next) return
              event.preventDefault()
              setChosen(next)
              document.querySelector<HTMLElement>(`[data-testid=network-tab-${next}]`)?.focus()
            }}
          >
            {networks.map((candidate) => (
              <button
                key={candidate}
                type="button"
                role="tab"
                tabIndex={candidate === network ? 0 : -1}
                aria-selected={candidate === network}
                data-testid={`network-tab-${candidate}`}
                className={candidate === network ? 'tab active' : 'tab'}
                onClick={() => setChosen(candidate)}
              >
                {t(`network.${candidate}`)}
                {sharedOn.includes(candidate) ? ' ✓' : ''}
              </button>
            ))}
          </div>
          <ShareComposer
            key={network}
            entry={entry}
            network={network}
            suggestion={suggested[network] ?? ''}
          />
        </>
      )}
    </article>
  )
}

function ShareComposer({
  entry,
  network,
  suggestion,
}: {
  entry: QueueEntry
  network: Network
  suggestion: string
}) {
  const t = useT()
  const { item, campaign, sharedOn } = entry
  const key = draftKey(item.id, network)
  const draft = useStore((state) => state.drafts[key])
  const busy = useStore((state) => state.sharing[key] ?? false)
  const result = useStore((state) => state.shareResults[key])
  const setDraft = useStore((state) => state.setDraft)
  const resetDraft = useStore((state) => state.resetDraft)
  const share = useStore((state) => state.share)
  const setView = useStore((state) => state.setView)
  const text = draft ?? suggestion
  const check = checkShare(network, text, previewLink(item.url, network, campaign))
  const name = t(`network.${network}`)
  const shared = sharedOn.includes(network)
  const counterId = `counter-${network}`

  return (
    <section className="composer" aria-label={t('item.caption')}>
      <div className="composer-head">
        <h2 className="section-title">{t('item.caption')}</h2>
        {draft !== undefined && draft !== suggestion ? (
          <button type="button" className="link small" onClick={() => resetDraft(item.id, network)}>
            {t('item.reset')}
          </button>
        ) : null}
      </div>
      {suggestion === '' && draft === undefined ? (
        <p className="muted small">{t('item.noCaption')}</p>
      ) : null}
      <CaptionEditor
        value={text}
        label={t('item.caption')}
        describedBy={counterId}
        onChange={(value) => setDraft(item.id, network, value)}
      />
      <div className="composer-info">
        <span
          id={counterId}
          className={check.measure.over ? 'counter over' : 'counter'}
          data-testid="length-counter"
        >
          {check.measure.limit === null
            ? t('item.lengthNoLimit', { used: check.measure.used })
            : t('item.length', { used: check.measure.used, limit: check.measure.limit })}
        </span>
      </div>
      {/*
        What blocks sharing (too long, placeholders left) sticks with the Share button as one
        block: a sticky button never covers the hint that explains it.
      */}
      <div className="share-bar">
        {check.measure.over ? (
          <p className="warning" role="alert" data-testid="over-limit">
            {t('item.over', { n: -(check.measure.remaining ?? 0), network: name })}
          </p>
        ) : null}
        {check.unfilled.length > 0 ? (
          <div className="placeholder-help" data-testid="placeholder-warning">
            <p>{t('item.placeholders')}</p>
            <div className="chips">
              {placeholders(text).map((found) => (
                <button
                  key={`${found.start}-${found.end}`}
                  type="button"
                  className="chip"
                  onClick={() => selectInCaption(found.start, found.end)}
                >
                  {found.label || '…'}
                </button>
              ))}
            </div>
          </div>
        ) : null}
        <button
          type="button"
          className="primary share"
          data-testid="share-button"
          // Busy is aria-disabled, not disabled: a disabled button drops keyboard focus.
          disabled={check.blockedBy !== null}
          aria-disabled={busy}
          onClick={() => {
            if (!busy) void share(item.id, network)
          }}
        >
          {busy
            ? t('item.sharing')
            : shared
              ? t('item.shareAgain', { network: name })
              : t('item.share', { network: name })}
        </button>
        {check.blockedBy === 'placeholders' ? (
          <p className="muted small" data-testid="share-blocked-hint">
            {t('item.placeholdersBlock')}
          </p>
        ) : null}
      </div>
      {result?.kind === 'done' ? (
        <p
          className="success"
          role="status"
          data-testid="share-done"
          data-share-id={result.outcome.shareId}
        >
          {!result.copied
            ? t('item.copyFailed')
            : result.outcome.pasteNeeded || !sharePagePrefillsCaption(network)
              ? t('item.copiedPaste', { network: name })
              : t('item.copied', { network: name })}
        </p>
      ) : null}
      {result?.kind === 'error' ? (
        <ShareErrorMessage problem={result.problem} openSettings={() => setView('settings')} />
      ) : null}
    </section>
  )
}

function ShareErrorMessage({
  problem,
  openSettings,
}: {
  problem: Described
  openSettings(): void
}) {
  const t = useT()
  return (
    <div className="error-box" role="alert" data-testid="share-error">
      <p>{t.say(problem)}</p>
      {problem.key === 'error.mastodon' ? (
        <button type="button" className="link" data-testid="open-settings" onClick={openSettings}>
          {t('error.openSettings')} →
        </button>
      ) : null}
    </div>
  )
}
