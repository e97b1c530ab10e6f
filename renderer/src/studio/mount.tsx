import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { connectToCore } from '../core/connection'
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
  connectToCore()
    .then((client) => useStudio.getState().connect(client))
    .catch((error: unknown) => {
      const message =
        studioDictionaries[studioSystemLanguage(navigator.languages)]['studio.unreachable']
      rootElement.textContent = `${message} ${error instanceof Error ? error.message : ''}`
    })
}
