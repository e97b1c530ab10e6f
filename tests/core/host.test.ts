import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { symlinkSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isLoopbackHost, parseHostArgs } from '../../main/host/args'
import { tempDir } from '../helpers/process'
import { httpGet, type StaticServer, startStaticServer } from '../helpers/static-server'

const ROOT = path.resolve(import.meta.dirname, '..', '..')
const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT'

/** GET a raw request target (helpers/static-server): status and body. */
const get = (port: number, target: string) =>
  httpGet(port, target).then(({ status, body }) => ({ status, body }))

describe('static files of the dev host', () => {
  let files: StaticServer
  let port: number
  let root: string
  let errors: string[]

  beforeAll(async () => {
    // <parent>/secret.txt must never be served from <parent>/root.
    files = await startStaticServer({
      prefix: 'pv-host-static-',
      files: {
        '../secret.txt': SECRET,
        'index.html': '<!doctype html><title>Porte-voix</title>',
        'assets/app.js': 'console.log(1)',
        'assets/empty.css': '',
      },
      prepare: (root) => {
        // Opens fine, then fails to read (EIO): a read error after the file was found.
        if (process.platform === 'linux')
          symlinkSync('/proc/self/mem', path.join(root, 'unreadable.js'))
      },
    })
    ;({ port, root, errors } = files)
  })
  afterAll(() => files.close())

  it('serves files and falls back to the app for unknown paths', async () => {
    expect(await get(port, '/assets/app.js')).toEqual({ status: 200, body: 'console.log(1)' })
    expect((await get(port, '/studio/items')).body).toContain('Porte-voix')
    expect(await get(port, '/assets/empty.css')).toEqual({ status: 200, body: '' })
  })

  it('never serves anything outside its root', async () => {
    const outside = path.join(path.dirname(root), 'secret.txt')
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/%2e%2e/secret.txt',
      '/.%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      `/${encodeURIComponent(outside)}`,
      `//${outside}`,
      `/.${outside}`,
      'http://evil.example/../secret.txt',
      '/%2e%2e%00/secret.txt',
    ]
    for (const target of attempts) {
      const { status, body } = await get(port, target)
      expect(body, target).not.toContain(SECRET)
      expect([200, 400, 403, 404], target).toContain(status)
    }
  })

  it('never escapes its root, whatever the mix of dots, escapes and separators', async () => {
    const segment = fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E.',
      '.%2e',
      '%2f',
      '%5c',
      '\\',
      '%00',
      'assets',
      'secret.txt',
      '',
    )
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 8 }), async (parts) => {
        const { status, body } = await get(port, `/${parts.join('/')}`)
        expect(body).not.toContain(SECRET)
        expect([200, 400, 403, 404]).toContain(status)
      }),
      { numRuns: 300, seed: 20_261_124 },
    )
  })

  it('refuses a path with a NUL byte', async () => {
    expect((await get(port, '/assets/app.js%00.html')).status).toBe(400)
  })

  it.skipIf(process.platform !== 'linux')(
    'answers a file it cannot read without crashing, and keeps serving',
    async () => {
      // It opens, then its first read fails: nothing was sent yet, so a clean 500.
      expect((await get(port, '/unreadable.js')).status).toBe(500)
      expect(errors.some((m) => m.includes('unreadable.js'))).toBe(true)
      expect((await get(port, '/assets/app.js')).status).toBe(200)
    },
  )
})

describe('dev host listening address', () => {
  const args = (...extra: string[]) => ['--data-dir', '/tmp/pv-host-args', ...extra]

  it('accepts loopback addresses only', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true)
      expect(parseHostArgs(args('--host', host), {}).host).toBe(host)
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '::ffff:10.0.0.1', 'example.com']) {
      expect(isLoopbackHost(host), host).toBe(false)
      expect(() => parseHostArgs(args('--host', host), {}), host).toThrow(
        /not a loopback address.*--unsafe-listen-anywhere/s,
      )
    }
    expect(() => parseHostArgs(args(), { PORTE_VOIX_CORE_HOST: '0.0.0.0' })).toThrow(/loopback/)
  })

  it('listens anywhere only when told so explicitly', () => {
    const options = parseHostArgs(args('--host', '0.0.0.0', '--unsafe-listen-anywhere'), {})
    expect(options).toMatchObject({ host: '0.0.0.0', unsafeListenAnywhere: true })
    expect(parseHostArgs(args(), {}).unsafeListenAnywhere).toBe(false)
  })

  it('the host process refuses to start on a non-loopback address', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'main', 'host', 'main.ts'),
        '--data-dir',
        tempDir('pv-host-refuse-'),
        '--host',
        '0.0.0.0',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(code).toBe(2)
    expect(stderr).toMatch(/--host 0\.0\.0\.0 is not a loopback address/)
  })
})
