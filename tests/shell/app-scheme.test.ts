import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  APP_ORIGIN,
  APP_SCHEME_PRIVILEGES,
  appResponseHeaders,
  cachedReads,
  resolveAppRequest,
} from '../../main/shell/app-scheme'
import { CONTENT_SECURITY_POLICY, externalUrl, isTrustedSender } from '../../main/shell/security'

const ROOT = resolve('/opt/porte-voix/resources/app.asar/out/renderer')

describe('the windows’ app scheme (porte-voix-app://renderer/…)', () => {
  it('is standard and secure with V8 code cache, and bypasses nothing', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({
      standard: true,
      secure: true,
      corsEnabled: true,
      codeCache: true,
    })
  })

  it('serves the page and its assets from the renderer folder', () => {
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/index.html#popover`)).toEqual({
      file: join(ROOT, 'index.html'),
    })
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/`)).toEqual({ file: join(ROOT, 'index.html') })
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/assets/index-DKG3iOgi.js?x=1`)).toEqual({
      file: join(ROOT, 'assets', 'index-DKG3iOgi.js'),
    })
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/index.html`, 'HEAD')).toEqual({
      file: join(ROOT, 'index.html'),
    })
  })

  it.each([
    `${APP_ORIGIN}/..%2f..%2fmain%2fcore.js`,
    `${APP_ORIGIN}/assets/..%2f..%2f..%2fpackage.json`,
    `${APP_ORIGIN}/%2e%2e%2f%2e%2e%2fpackage.json`,
    `${APP_ORIGIN}/..%2F..%2F..%2F..%2Fetc%2Fpasswd.js`,
  ])('refuses a path that leaves the renderer folder: %s', (url) => {
    expect(resolveAppRequest(ROOT, url)).toEqual({ status: 403 })
  })

  it('refuses another host, credentials, other schemes, backslashes, NUL and odd methods', () => {
    expect(resolveAppRequest(ROOT, 'porte-voix-app://evil/index.html')).toEqual({ status: 403 })
    expect(resolveAppRequest(ROOT, 'porte-voix-app://a:b@renderer/index.html')).toEqual({
      status: 403,
    })
    expect(resolveAppRequest(ROOT, 'file:///opt/porte-voix/index.html')).toEqual({ status: 403 })
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/..%5c..%5cmain%5ccore.js`)).toEqual({
      status: 400,
    })
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/index.html%00.js`)).toEqual({ status: 400 })
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/%E0%A4%A`)).toEqual({ status: 400 })
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/index.html`, 'POST')).toEqual({ status: 405 })
    expect(resolveAppRequest(ROOT, 'not a url')).toEqual({ status: 400 })
  })

  it('serves only the renderer’s kinds of files', () => {
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/assets/index.js.map`)).toEqual({ status: 404 })
    expect(resolveAppRequest(ROOT, `${APP_ORIGIN}/assets`)).toEqual({ status: 404 })
  })

  it('answers with the type, the shell’s CSP and nosniff', () => {
    expect(appResponseHeaders(join(ROOT, 'assets', 'a.js'))).toEqual({
      'content-type': 'text/javascript; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    })
    expect(appResponseHeaders(join(ROOT, 'index.html'))['content-type']).toBe(
      'text/html; charset=utf-8',
    )
  })

  it('IPC and navigation trust the app scheme’s page only', () => {
    const app = `${APP_ORIGIN}/index.html#popover`
    expect(isTrustedSender(`${APP_ORIGIN}/index.html#studio`, app)).toBe(true)
    expect(isTrustedSender('porte-voix-app://evil/index.html', app)).toBe(false)
    expect(isTrustedSender(`${APP_ORIGIN}/other.html`, app)).toBe(false)
    expect(isTrustedSender('porte-voix://join?relay=x', app)).toBe(false)
    // WHATWG URL gives custom schemes, data: and file: the same opaque origin "null".
    expect(isTrustedSender('data:text/html,<p>x</p>', app)).toBe(false)
    expect(isTrustedSender('file:///index.html', app)).toBe(false)
    expect(isTrustedSender('file:///index.html', 'file:///index.html')).toBe(false)
  })

  it('is never opened outside the app (shell.openExternal)', () => {
    expect(externalUrl(`${APP_ORIGIN}/index.html`)).toBeNull()
  })
})

describe('the app scheme’s file reads (issue 7.8)', () => {
  it('reads each file once per run, and reads again a file whose read failed', async () => {
    const reads: string[] = []
    let fail = true
    const read = cachedReads(async (file) => {
      reads.push(file)
      if (file === 'missing.js' && fail) throw new Error('ENOENT')
      return new TextEncoder().encode(file)
    })
    expect(new TextDecoder().decode(await read('index.html'))).toBe('index.html')
    await read('index.html')
    await Promise.all([read('assets/a.js'), read('assets/a.js')])
    await expect(read('missing.js')).rejects.toThrow('ENOENT')
    fail = false
    await expect(read('missing.js')).resolves.toBeDefined()
    expect(reads).toEqual(['index.html', 'assets/a.js', 'missing.js', 'missing.js'])
  })
})
