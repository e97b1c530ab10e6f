import { contextBridge, ipcRenderer } from 'electron'
import { CORE_PORT_MESSAGE, type DesktopBridge } from '../../common/contract/desktop-bridge'
import { IPC } from '../shell/ipc'
import { portHandover } from './port-handover'

// The core's MessagePort cannot cross contextBridge, so it is handed to the page with
// window.postMessage (the pattern Electron's MessagePort guide describes for isolated worlds),
// when the page asks for it and main has given it, whichever is last (port-handover.ts).
const corePort = portHandover<MessagePort>((ports) =>
  window.postMessage(
    CORE_PORT_MESSAGE,
    window.location.origin === 'null' ? '*' : window.location.origin,
    [...ports],
  ),
)
ipcRenderer.on(IPC.corePort, (event) => corePort.arrived(event.ports))
// Now, before the page's first script runs: main answers with a port of this page's own.
ipcRenderer.send(IPC.askCorePort)

const bridge: DesktopBridge = {
  platform: process.platform,
  hidePopover: () => ipcRenderer.send(IPC.hidePopover),
  openStudio: () => ipcRenderer.send(IPC.openStudio),
  onInvitation: (listener) => {
    ipcRenderer.on(IPC.invitation, (_event, link: unknown) => {
      if (typeof link === 'string') listener(link)
    })
  },
  requestCorePort: () => corePort.asked(),
  onOpenItem: (listener) => {
    ipcRenderer.on(IPC.openItem, (_event, itemId: unknown) => {
      if (typeof itemId === 'string') listener(itemId)
    })
  },
}

contextBridge.exposeInMainWorld('porteVoix', bridge)
