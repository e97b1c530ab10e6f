/**
 * Issue 8.8: a queue item's image is fetched when the item arrives, not when it is first viewed,
 * so an item never opened while online still shows its image offline.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { DATABASE_FILE } from '../../main/core/store/database'
import { clientOf } from '../helpers/core'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { type FixtureServer, startFixtureServer } from './fixture-server'

// The smallest valid PNG (1×1, transparent).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
)

const dirs: string[] = []
const cores: Core[] = []
let relay: RelayProcess | undefined
let server: FixtureServer | undefined

afterAll(async () => {
  for (const core of cores) await core.close()
  await server?.close()
  if (relay) {
    await relay.stop()
    rmSync(relay.dataDir, { recursive: true, force: true })
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function cachedImages(dataDir: string): { url: string; n: number }[] {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    return db
      .prepare('SELECT url, length(bytes) AS n FROM image_cache WHERE bytes IS NOT NULL')
      .all() as { url: string; n: number }[]
  } finally {
    db.close()
  }
}

async function openCore(): Promise<{ core: Core; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pv-prefetch-'))
  dirs.push(dataDir)
  const core = await Core.open({ dataDir, opener: { open: async () => {} } })
  cores.push(core)
  return { core, dataDir }
}

describe('item images prefetched when the queue changes', () => {
  it('an employee who never viewed the item has its image offline, fetched once', async () => {
    const hosted = await startFixtureServer({})
    server = hosted
    const paths = ['/a.png', '/b.png', '/c.png', '/d.png', '/e.png']
    for (const name of paths) {
      hosted.routes.set(name, (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' })
        res.end(PNG)
      })
    }
    relay = await startRelay()
    const workspaceId = await relay.createWorkspace('Acme')
    const champion = await openCore()
    const employee = await openCore()
    const curator = clientOf(champion.core)
    const reader = clientOf(employee.core)
    await curator.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Cam', role: 'champion' }),
    })
    await reader.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eve', role: 'employee' }),
    })
    const urls = paths.map((name) => `${hosted.origin}${name}`)
    for (const [n, imageUrl] of urls.entries()) {
      await curator.call('item.create', {
        title: `Item ${n}`,
        url: `https://acme.example/${n}`,
        objective: 'awareness',
        status: 'published',
        imageUrl,
      })
    }
    await waitFor(
      'the employee has the five items',
      async () => (await reader.call('queue.list', {})).length === 5,
    )
    // No image.get yet: the employee's core fetched them on its own.
    await waitFor('the employee cached every image', () =>
      urls.every((url) => cachedImages(employee.dataDir).some((row) => row.url === url)),
    )
    expect(cachedImages(employee.dataDir).every((row) => row.n === PNG.length)).toBe(true)
    // The champion's core prefetches them too: count hits only once both are done.
    await waitFor('the champion cached every image', () =>
      urls.every((url) => cachedImages(champion.dataDir).some((row) => row.url === url)),
    )
    const hits = paths.map((name) => hosted.hits.get(name) ?? 0)

    // A later queue change does not fetch cached images again.
    await curator.call('item.create', {
      title: 'No picture',
      url: 'https://acme.example/plain',
      objective: 'awareness',
      status: 'published',
    })
    await waitFor(
      'the employee has the sixth item',
      async () => (await reader.call('queue.list', {})).length === 6,
    )
    await hosted.close()
    server = undefined
    for (const url of urls) {
      expect((await reader.call('image.get', { url })).dataUrl).toBe(
        `data:image/png;base64,${PNG.toString('base64')}`,
      )
    }
    expect(paths.map((name) => hosted.hits.get(name) ?? 0)).toEqual(hits)
  })
})
