import { join } from 'node:path'
import { Menu, nativeImage, Tray } from 'electron'

export type TrayState = 'idle' | 'new' | 'offline'

export type TrayActions = {
  open(): void
  openStudio(): void
  toggleNudges(): void
  /** Opt-in: the OS keeps the setting; the menu shows what the OS says. */
  toggleStartAtLogin(): void
  startsAtLogin(): boolean
  openSettings(): void
  quit(): void
}

const resources = join(import.meta.dirname, '../../resources')

const icons = new Map<TrayState, Electron.NativeImage>()

/** macOS wants monochrome "template" images for the menu bar; other platforms get colour. */
function iconFor(state: TrayState): Electron.NativeImage {
  const cached = icons.get(state)
  if (cached) return cached
  const name = process.platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`
  const image = nativeImage.createFromPath(join(resources, 'tray', name))
  if (process.platform === 'darwin') image.setTemplateImage(true)
  icons.set(state, image)
  return image
}

export class AppTray {
  private readonly tray: Tray
  private state: TrayState = 'idle'
  private nudgesPaused = false
  private canCurate = false

  constructor(private readonly actions: TrayActions) {
    this.tray = new Tray(iconFor('idle'))
    this.tray.setToolTip('Porte-voix')
    this.tray.on('click', () => actions.open())
    this.rebuildMenu()
  }

  get bounds(): Electron.Rectangle {
    return this.tray.getBounds()
  }

  setState(state: TrayState): void {
    if (state === this.state) return
    this.state = state
    this.tray.setImage(iconFor(state))
    this.tray.setToolTip(state === 'offline' ? 'Porte-voix — offline' : 'Porte-voix')
  }

  setRole(canCurate: boolean): void {
    this.canCurate = canCurate
    this.rebuildMenu()
  }

  setNudgesPaused(paused: boolean): void {
    this.nudgesPaused = paused
    this.rebuildMenu()
  }

  private rebuildMenu(): void {
    const menu = Menu.buildFromTemplate([
      { label: 'Open Porte-voix', click: () => this.actions.open() },
      // Employees never see the studio; the relay refuses their writes anyway.
      ...(this.canCurate ? [{ label: 'Open studio', click: () => this.actions.openStudio() }] : []),
      { type: 'separator' },
      {
        label: 'Pause nudges',
        type: 'checkbox',
        checked: this.nudgesPaused,
        click: () => this.actions.toggleNudges(),
      },
      {
        label: 'Start at login',
        type: 'checkbox',
        checked: this.actions.startsAtLogin(),
        click: () => {
          this.actions.toggleStartAtLogin()
          this.rebuildMenu()
        },
      },
      { label: 'Settings…', click: () => this.actions.openSettings() },
      { type: 'separator' },
      { label: 'Quit', role: 'quit', click: () => this.actions.quit() },
    ])
    this.tray.setContextMenu(menu)
  }
}
