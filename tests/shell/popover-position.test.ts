import { describe, expect, it } from 'vitest'
import { popoverPosition } from '../../main/shell/popover-position'

const workArea = { x: 0, y: 0, width: 1920, height: 1040 }
const size = { width: 380, height: 580 }

describe('popover placement', () => {
  it('opens above a tray at the bottom (Windows)', () => {
    const p = popoverPosition({
      trayBounds: { x: 1800, y: 1045, width: 24, height: 24 },
      cursor: null,
      workArea,
      size,
    })
    expect(p.y + size.height).toBeLessThanOrEqual(workArea.height)
    expect(p.x + size.width).toBeLessThanOrEqual(workArea.width)
    expect(p.y).toBe(1040 - 580 - 8)
  })

  it('opens below a tray at the top (macOS)', () => {
    const p = popoverPosition({
      trayBounds: { x: 900, y: 0, width: 22, height: 24 },
      cursor: null,
      workArea: { x: 0, y: 25, width: 1440, height: 875 },
      size,
    })
    // Right under the menu bar: the work area starts below it.
    expect(p.y).toBe(25 + 8)
    expect(p.x).toBe(Math.round(911 - 190))
  })

  it('falls back to the cursor when the OS reports no tray position (Linux)', () => {
    const p = popoverPosition({
      trayBounds: { x: 0, y: 0, width: 0, height: 0 },
      cursor: { x: 1000, y: 10 },
      workArea,
      size,
    })
    expect(p).toEqual({ x: 810, y: 18 })
  })

  it('falls back to the work-area corner with no hint at all, always on screen', () => {
    const p = popoverPosition({ trayBounds: null, cursor: null, workArea, size })
    expect(p).toEqual({ x: 1920 - 380 - 8, y: 1040 - 580 - 8 })
  })
})
