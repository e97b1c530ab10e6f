import { utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpGet, type StaticServer, startStaticServer } from '../helpers/static-server'

/**
 * The dev host's caching headers (issue 7.8): Chromium makes and uses a script's V8 code cache
 * only for responses its HTTP cache keeps, so the hashed assets are immutable and the page is
 * revalidated (ETag, 304) — what lets the popover bench's warm start reuse compiled code.
 */
describe('static files: caching headers', () => {
  let files: StaticServer
  let port: number
  let root: string
  const get = httpGet

  beforeAll(async () => {
    files = await startStaticServer({
      prefix: 'porte-voix-static-cache-',
      rootName: 'renderer',
      files: {
        'index.html': '<!doctype html><title>Porte-voix</title>',
        'assets/index-DKG3iOgi.js': 'console.log(1)',
        'assets/nested/x.js': 'console.log(2)',
      },
    })
    ;({ port, root } = files)
  })
  afterAll(() => files.close())

  it('marks the hashed assets immutable, with an ETag', async () => {
    const answer = await get(port, '/assets/index-DKG3iOgi.js')
    expect(answer.status).toBe(200)
    expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(answer.headers.etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/)
  })

  it('has the page, the SPA fallback and anything outside assets/ revalidated', async () => {
    for (const target of ['/index.html', '/', '/studio/items', '/assets/missing.js']) {
      const answer = await get(port, target)
      expect(answer.body, target).toContain('Porte-voix')
      expect(answer.headers['cache-control'], target).toBe('no-cache')
      expect(answer.headers.etag, target).toMatch(/^W\//)
    }
    expect((await get(port, '/assets/nested/x.js')).headers['cache-control']).toBe('no-cache')
  })

  it('answers 304 to a matching If-None-Match, and the file again once it changed', async () => {
    const first = await get(port, '/index.html')
    const etag = first.headers.etag ?? ''
    const again = await get(port, '/index.html', { 'if-none-match': etag })
    expect(again.status).toBe(304)
    expect(again.body).toBe('')
    expect(again.headers.etag).toBe(etag)
    expect(again.headers['cache-control']).toBe('no-cache')
    expect((await get(port, '/index.html', { 'if-none-match': `"other", ${etag}` })).status).toBe(
      304,
    )
    // A new build: another size and modification time, another validator.
    const file = path.join(root, 'index.html')
    writeFileSync(file, '<!doctype html><title>Porte-voix, new build</title>')
    utimesSync(file, new Date(), new Date(Date.now() + 5_000))
    const changed = await get(port, '/index.html', { 'if-none-match': etag })
    expect(changed.status).toBe(200)
    expect(changed.body).toContain('new build')
    expect(changed.headers.etag).not.toBe(etag)
  })
})
