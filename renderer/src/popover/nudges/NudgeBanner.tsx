import './nudges.css'
import { useEffect, useState } from 'react'
import type { Nudge } from '../../../../common/contract/api'
import { whyText } from '../../../../common/nudges/why'
import { useLanguage, useStore, useT } from '../../state/store'

/** A notification click in the desktop app opens the popover on the item (registered once). */
let bridgeListening = false
function listenToBridge(): void {
  if (bridgeListening || !window.porteVoix?.onOpenItem) return
  bridgeListening = true
  window.porteVoix.onOpenItem((itemId) => {
    const state = useStore.getState()
    state.setView('queue')
    state.select(itemId)
  })
}

/**
 * The nudge in the page: the dev host has no desktop notifications, and in the app the popover
 * shows the same nudge if it is open. Open shows the item, Later snoozes for an hour.
 */
export function NudgeBanner() {
  const t = useT()
  // The core renders whyText without the OS locale; the window knows the language it speaks.
  const language = useLanguage()
  const client = useStore((state) => state.client)
  const select = useStore((state) => state.select)
  const setView = useStore((state) => state.setView)
  const [nudge, setNudge] = useState<Nudge | null>(null)
  useEffect(() => {
    listenToBridge()
    if (!client) return
    return client.on('nudge.show', setNudge)
  }, [client])
  if (!nudge || !client) return null
  const answer = (method: 'nudge.opened' | 'nudge.dismiss') => {
    void client.call(method, { id: nudge.id }).catch(() => {})
    setNudge(null)
  }
  return (
    <div className="nudge-banner" role="status" data-testid="nudge-banner">
      <strong>{nudge.title}</strong>
      <span className="muted small">{whyText(nudge.why, language)}</span>
      <span className="nudge-actions">
        <button
          type="button"
          data-testid="nudge-open"
          onClick={() => {
            answer('nudge.opened')
            setView('queue')
            select(nudge.itemId)
          }}
        >
          {t('nudges.open')}
        </button>
        <button
          type="button"
          className="link"
          data-testid="nudge-later"
          onClick={() => {
            void client.call('nudge.later', { id: nudge.id, until: 'hour' }).catch(() => {})
            setNudge(null)
          }}
        >
          {t('nudges.later')}
        </button>
        <button type="button" className="link" onClick={() => answer('nudge.dismiss')}>
          {t('nudges.dismiss')}
        </button>
      </span>
    </div>
  )
}
