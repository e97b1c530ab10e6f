import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { CoreClient } from '../../../common/contract/client'
import { earlyConnection } from '../boot'
import { studioDictionaries, studioSystemLanguage } from '../i18n/studio-messages'
import { StudioApp } from './StudioApp'
import { useStudio } from './store'

/** Start the studio window in `root` (main.tsx calls this for index.html#studio). */
export function mountStudio(rootElement: HTMLElement): void {
  document.title = 'Porte-voix Studio'
  createRoot(rootElement).render(
    <StrictMode>
      <StudioApp />
    </StrictMode>,
  )
  // Connected by boot.ts, which ran first (the same hand-over as the popover's, no requests sent).
  ;(earlyConnection ?? Promise.reject(new Error('no connection')))
    .then((transport) => useStudio.getState().connect(new CoreClient(transport)))
    .catch((error: unknown) => {
      const message =
        studioDictionaries[studioSystemLanguage(navigator.languages)]['studio.unreachable']
      rootElement.textContent = `${message} ${error instanceof Error ? error.message : ''}`
    })
}
