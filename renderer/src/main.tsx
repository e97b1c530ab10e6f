// First: configures zod before the contract's schemas are built (see the file).
import './zod-jitless'
import { StrictMode } from 'react'
import { flushSync } from 'react-dom'
import { createRoot } from 'react-dom/client'
import { CoreClient } from '../../common/contract/client'
import { EARLY_REQUESTS, earlyConnection, isStudioWindow } from './boot'
import { dictionaries, systemLanguage } from './i18n/messages'
import { PopoverApp } from './popover/PopoverApp'
import { useStore } from './state/store'

// The first-paint benchmark's breakdown: the bundle is fetched, parsed and evaluated by now.
performance.mark('pv:script-run')

const rootElement = document.getElementById('root')
if (!rootElement) throw new Error('index.html lacks #root')

if (isStudioWindow(location.hash)) {
  // The champions' studio window: its own app, code-split so the popover never loads CodeMirror.
  void import('./studio/mount').then(({ mountStudio }) => mountStudio(rootElement))
} else {
  // Until the core is reached, one line of plain DOM (PopoverApp's own while it connects): React's
  // first render, and the compiling of react-dom it costs, waits until the first requests are
  // sent, so that it runs while the core answers them instead of before they leave.
  const connecting = document.createElement('p')
  connecting.className = 'loading'
  connecting.setAttribute('aria-busy', 'true')
  connecting.textContent = dictionaries[systemLanguage(navigator.languages)]['status.connecting']
  rootElement.append(connecting)

  // Invitation links opened from the OS arrive here, to be confirmed in the join view.
  window.porteVoix?.onInvitation((link) => useStore.getState().offerInvitation(link))

  // Connected, and the first screen asked for, by boot.ts (which ran before this bundle).
  ;(earlyConnection ?? Promise.reject(new Error('no connection')))
    .then((transport) => {
      performance.mark('pv:core-connected')
      const client = new CoreClient(transport)
      const [forMe, status, settings] = EARLY_REQUESTS
      const connected = useStore.getState().connect(client, {
        firstScreen: client.adopt(forMe.id, forMe.method),
        status: client.adopt(status.id, status.method),
        settings: client.adopt(settings.id, settings.method),
      })
      // React replaces the line above with its own tree, at once and synchronously: the early
      // answers may be in already, and a first render left to the scheduler would then be the
      // whole first screen rendered concurrently, in 5 ms slices, behind every other task (it
      // committed ~500 ms after the answer in the page bench). This way the answers arrive as
      // an update, rendered in one go.
      const root = createRoot(rootElement)
      flushSync(() =>
        root.render(
          <StrictMode>
            <PopoverApp />
          </StrictMode>,
        ),
      )
      return connected
    })
    .catch((error: unknown) => {
      const message = dictionaries[systemLanguage(navigator.languages)]['core.unreachable']
      rootElement.textContent = `${message} ${error instanceof Error ? error.message : ''}`
    })
}
