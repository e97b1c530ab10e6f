import { contextBridge, ipcRenderer } from 'electron'
import { CORE_PORT_MESSAGE, type DesktopBridge } from '../../common/contract/desktop-bridge'
import { IPC } from '../shell/ipc'

// The core's MessagePort cannot cross contextBridge, so it is handed to the page with
// window.postMessage (the pattern Electron's MessagePort guide describes for isolated worlds).
ipcRenderer.on(IPC.corePort, (event) => {
  window.postMessage(
    CORE_PORT_MESSAGE,
    window.location.origin === 'null' ? '*' : window.location.origin,
    event.ports,
  )
})

const bridge: DesktopBridge = {
  platform: process.platform,
  hidePopover: () => ipcRenderer.send(IPC.hidePopover),
  openStudio: () => ipcRenderer.send(IPC.openStudio),
  onInvitation: (listener) => {
    ipcRenderer.on(IPC.invitation, (_event, link: unknown) => {
      if (typeof link === 'string') listener(link)
    })
  },
  onOpenItem: (listener) => {
    ipcRenderer.on(IPC.openItem, (_event, itemId: unknown) => {
      if (typeof itemId === 'string') listener(itemId)
    })
  },
}

contextBridge.exposeInMainWorld('porteVoix', bridge)
