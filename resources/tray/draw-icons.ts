/**
 * Draws the tray icons (a speech bubble; a dot when something is new; grey when offline) so they
 * can be regenerated exactly: `npx tsx resources/tray/draw-icons.ts`. No image tool needed.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'

type Rgba = [number, number, number, number]

function crc32(bytes: Uint8Array): number {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return ~crc >>> 0
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

function png(size: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x, y)
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4)
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8)
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ])
}

/** Coverage of a pixel by a shape, by 4×4 supersampling. */
function coverage(x: number, y: number, inside: (u: number, v: number) => boolean, size: number) {
  let hits = 0
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++)
      if (inside((x + (i + 0.5) / 4) / size, (y + (j + 0.5) / 4) / size)) hits++
  }
  return hits / 16
}

// Shapes in a unit square.
const bubble = (u: number, v: number) => {
  const dx = Math.max(Math.abs(u - 0.5) - 0.3, 0)
  const dy = Math.max(Math.abs(v - 0.42) - 0.2, 0)
  const body = Math.hypot(dx, dy) < 0.14
  const tail = v > 0.6 && v < 0.92 && u > 0.26 && u < 0.46 && u - 0.26 < (0.92 - v) * 0.7
  return body || tail
}
const dot = (u: number, v: number) => Math.hypot(u - 0.8, v - 0.2) < 0.17

const COLORS = { idle: [35, 86, 216], offline: [138, 143, 152], dot: [240, 130, 20] } as const

function draw(state: 'idle' | 'new' | 'offline', size: number, template: boolean): Buffer {
  return png(size, (x, y) => {
    const d = state === 'new' ? coverage(x, y, dot, size) : 0
    const b = coverage(
      x,
      y,
      (u, v) => bubble(u, v) && !(state === 'new' && Math.hypot(u - 0.8, v - 0.2) < 0.23),
      size,
    )
    if (template)
      return [0, 0, 0, Math.round(255 * Math.min(1, b * (state === 'offline' ? 0.45 : 1) + d))]
    if (d > 0) return [...COLORS.dot, Math.round(255 * d)] as Rgba
    const color = state === 'offline' ? COLORS.offline : COLORS.idle
    return [...color, Math.round(255 * b)] as Rgba
  })
}

const out = import.meta.dirname
for (const state of ['idle', 'new', 'offline'] as const) {
  writeFileSync(join(out, `tray-${state}.png`), draw(state, 16, false))
  writeFileSync(join(out, `tray-${state}@2x.png`), draw(state, 32, false))
  writeFileSync(join(out, `tray-${state}Template.png`), draw(state, 16, true))
  writeFileSync(join(out, `tray-${state}Template@2x.png`), draw(state, 32, true))
}
writeFileSync(join(out, '..', 'icon.png'), draw('idle', 512, false))
