export type Rect = { x: number; y: number; width: number; height: number }
export type Point = { x: number; y: number }

/**
 * Where to put the popover: next to the tray icon when the OS tells us where it is; otherwise
 * (many Linux desktops report an empty rectangle) next to the cursor; always inside the work area.
 */
export function popoverPosition(input: {
  trayBounds: Rect | null
  cursor: Point | null
  workArea: Rect
  size: { width: number; height: number }
}): Point {
  const { trayBounds, cursor, workArea, size } = input
  const margin = 8
  let x: number
  let y: number
  const hasTray = trayBounds !== null && trayBounds.width > 0 && trayBounds.height > 0
  if (hasTray) {
    x = trayBounds.x + trayBounds.width / 2 - size.width / 2
    // A tray at the top of the screen (macOS, some Linux panels) opens downwards, else upwards.
    const trayAtTop = trayBounds.y < workArea.y + workArea.height / 2
    y = trayAtTop ? trayBounds.y + trayBounds.height + margin : trayBounds.y - size.height - margin
  } else if (cursor) {
    x = cursor.x - size.width / 2
    const cursorAtTop = cursor.y < workArea.y + workArea.height / 2
    y = cursorAtTop ? cursor.y + margin : cursor.y - size.height - margin
  } else {
    // No hint at all: the bottom-right corner of the work area, where most trays live.
    x = workArea.x + workArea.width - size.width - margin
    y = workArea.y + workArea.height - size.height - margin
  }
  const clamp = (value: number, min: number, max: number) => Math.max(min, Math.min(value, max))
  return {
    x: Math.round(clamp(x, workArea.x + margin, workArea.x + workArea.width - size.width - margin)),
    y: Math.round(
      clamp(y, workArea.y + margin, workArea.y + workArea.height - size.height - margin),
    ),
  }
}
