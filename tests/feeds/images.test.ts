import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContractError } from '../../common/contract/messages'
import { Core } from '../../main/core/core'
import { ImageCache } from '../../main/core/images/image-cache'
import { STRICT_POLICY } from '../../main/core/net/address-policy'
import { DATABASE_FILE, openDatabase } from '../../main/core/store/database'
import { clientOf, fakeInvitation } from '../helpers/core'
import { rejectionOf } from '../helpers/errors'
import { type FixtureServer, type Route, redirect, startFixtureServer } from './fixture-server'

// The smallest valid PNG (1×1, transparent).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
)

/** An image host: a PNG, a page, an SVG with a script, a PNG too big to keep. */
function imageRoutes(): Record<string, Route> {
  return {
    '/logo.png': (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.end(PNG)
    },
    '/page.html': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<h1>not an image</h1>')
    },
    '/drawing.svg': (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/svg+xml' })
      res.end('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    },
    '/huge.png': (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.end(Buffer.alloc(3 * 1024 * 1024))
    },
  }
}

let server: FixtureServer
const dirs: string[] = []
const cores = new Set<Core>()

beforeAll(async () => {
  server = await startFixtureServer(imageRoutes())
  server.routes.set('/moved.png', redirect(`${server.origin}/logo.png`))
})

afterAll(async () => {
  for (const core of cores) await core.close()
  await server.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pv-images-'))
  dirs.push(dir)
  return dir
}

describe('item images: fetched once by the core, kept, served to windows', () => {
  it('serves an item image as a data: URL, fetched once and shown offline after', async () => {
    const dataDir = tempDir()
    const core = await Core.open({ dataDir, joinWaitMs: 200, opener: { open: async () => {} } })
    cores.add(core)
    const client = clientOf(core)
    await client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'champion', relayUrl: 'ws://127.0.0.1:9' }),
    })
    const imageUrl = `${server.origin}/moved.png`
    await client.call('item.create', {
      title: 'With a picture',
      url: 'https://acme.example/pic',
      objective: 'awareness',
      status: 'published',
      imageUrl,
    })
    const first = await client.call('image.get', { url: imageUrl })
    expect(first.dataUrl).toBe(`data:image/png;base64,${PNG.toString('base64')}`)
    const hits = server.hits.get('/logo.png')
    // Again, and after the image host went away: from SQLite, no request.
    await server.close()
    expect((await client.call('image.get', { url: imageUrl })).dataUrl).toBe(first.dataUrl)
    expect(server.hits.get('/logo.png')).toBe(hits)
    // Only images items name: a window cannot make the core fetch anything else.
    const other = await rejectionOf(
      client.call('image.get', { url: 'https://tracker.example/pixel.gif' }),
      ContractError,
    )
    expect(other.code).toBe('not_found')
    // Kept in the core's own database.
    const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
    try {
      const row = db.prepare('SELECT content_type, length(bytes) AS n FROM image_cache').get()
      expect(row).toEqual({ content_type: 'image/png', n: PNG.length })
    } finally {
      db.close()
    }
    server = await startFixtureServer({})
  })

  it('keeps raster images only, bounded, from public addresses only', async () => {
    const origin = await startFixtureServer(imageRoutes())
    const db = openDatabase({ file: path.join(tempDir(), DATABASE_FILE) })
    try {
      const cache = new ImageCache(db)
      for (const name of ['/page.html', '/drawing.svg', '/huge.png']) {
        expect(await cache.get(`${origin.origin}${name}`), name).toBeNull()
      }
      const errors = db.prepare('SELECT url, error FROM image_cache ORDER BY url').all()
      expect(JSON.stringify(errors)).toMatch(/not a picture \(text\/html\)/)
      expect(JSON.stringify(errors)).toMatch(/not a picture \(image\/svg\+xml\)/)
      expect(JSON.stringify(errors)).toMatch(/larger than/)
      // The strict policy (no admin allowance): loopback is refused before connecting.
      const strict = new ImageCache(db, { policy: STRICT_POLICY })
      const before = origin.hits.get('/logo.png') ?? 0
      expect(
        await strict.get(`http://localhost:${new URL(origin.origin).port}/logo.png`),
      ).toBeNull()
      expect(origin.hits.get('/logo.png') ?? 0).toBe(before)
      const refused = db
        .prepare("SELECT error FROM image_cache WHERE url LIKE 'http://localhost%'")
        .get()
      expect(JSON.stringify(refused)).toMatch(/internal address \(loopback\)/)
    } finally {
      db.close()
      await origin.close()
    }
  })
})
