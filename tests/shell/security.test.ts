import { describe, expect, it } from 'vitest'
import {
  CONTENT_SECURITY_POLICY,
  externalUrl,
  isNavigationAllowed,
  isTrustedSender,
  popoverWindowOptions,
  studioWindowOptions,
} from '../../main/shell/security'

describe('window options follow the Electron security checklist', () => {
  for (const [name, options] of [
    ['popover', popoverWindowOptions('/app/preload.cjs')],
    ['studio', studioWindowOptions('/app/preload.cjs')],
  ] as const) {
    it(`${name}: isolated, sandboxed, no Node`, () => {
      const prefs = options.webPreferences
      expect(prefs?.contextIsolation).toBe(true)
      expect(prefs?.sandbox).toBe(true)
      expect(prefs?.nodeIntegration).toBe(false)
      expect(prefs?.nodeIntegrationInWorker).toBe(false)
      expect(prefs?.nodeIntegrationInSubFrames).toBe(false)
      expect(prefs?.webSecurity).toBe(true)
      expect(prefs?.allowRunningInsecureContent).toBe(false)
      expect(prefs?.webviewTag).toBe(false)
      expect(prefs?.preload).toBe('/app/preload.cjs')
      expect(options.show).toBe(false)
    })
  }

  it('the popover is a frameless, taskbar-less window', () => {
    const options = popoverWindowOptions('/p')
    expect(options.frame).toBe(false)
    expect(options.skipTaskbar).toBe(true)
  })
})

describe('content security policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((part) => {
      const [name, ...values] = part.trim().split(/\s+/)
      return [name, values] as const
    }),
  )

  it('denies by default and allows scripts only from the app', () => {
    expect(directives.get('default-src')).toEqual(["'none'"])
    expect(directives.get('script-src')).toEqual(["'self'"])
    expect(directives.get('object-src')).toEqual(["'none'"])
    expect(directives.get('connect-src')).toEqual(["'self'"])
  })

  it('loads no remote image: item images come from the core as data: URLs', () => {
    expect(directives.get('img-src')).toEqual(["'self'", 'data:'])
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:/)
  })

  it('never allows inline script or eval', () => {
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline')
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval')
  })
})

describe('IPC sender checks', () => {
  // Built windows load from the app scheme (main/shell/app-scheme.ts), never from file://.
  const packaged = 'porte-voix-app://renderer/index.html#popover'
  const dev = 'http://localhost:5173/index.html#popover'

  it('trusts only our own page', () => {
    expect(isTrustedSender(packaged, packaged)).toBe(true)
    expect(isTrustedSender('porte-voix-app://renderer/index.html#studio', packaged)).toBe(true)
    expect(isTrustedSender('http://localhost:5173/index.html#studio', dev)).toBe(true)
  })

  it('refuses other files, origins, and missing frames', () => {
    expect(isTrustedSender('file:///tmp/evil.html', packaged)).toBe(false)
    expect(
      isTrustedSender(
        'file:///opt/porte-voix/resources/app.asar/out/renderer/index.html',
        packaged,
      ),
    ).toBe(false)
    expect(isTrustedSender('porte-voix-app://renderer/evil.html', packaged)).toBe(false)
    expect(isTrustedSender('https://evil.example/index.html', dev)).toBe(false)
    expect(isTrustedSender('http://localhost:5174/index.html', dev)).toBe(false)
    expect(isTrustedSender(undefined, dev)).toBe(false)
    expect(isTrustedSender('', dev)).toBe(false)
    expect(isTrustedSender('not a url', dev)).toBe(false)
  })

  it('navigation never leaves the app', () => {
    expect(isNavigationAllowed('https://www.linkedin.com/', dev)).toBe(false)
    expect(isNavigationAllowed('http://localhost:5173/index.html#studio', dev)).toBe(true)
    expect(isNavigationAllowed('porte-voix-app://renderer/index.html#studio', packaged)).toBe(true)
    expect(isNavigationAllowed('https://www.linkedin.com/', packaged)).toBe(false)
  })
})

describe('shell.openExternal guard', () => {
  it('opens http(s) and mailto only, as the normalised URL', () => {
    const share = 'https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fexample.com'
    expect(externalUrl(share)).toBe(share)
    expect(externalUrl('http://Example.COM')).toBe('http://example.com/')
    expect(externalUrl('mailto:?subject=a&body=b')).toBe('mailto:?subject=a&body=b')
  })

  it.each([
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'java\tscript:alert(1)',
    ' https://example.com',
    'https://example.com/a b',
    'https://exa\nmple.com',
    'https://user:pass@example.com/',
    'https://bank.example@evil.example/',
    'file:///etc/passwd',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox',
    'smb://host/share',
    '/relative',
    '',
  ])('refuses %j', (url) => {
    expect(externalUrl(url)).toBeNull()
  })
})

describe('the page carries the same policy', () => {
  it('renderer/index.html has the shell CSP (frame-ancestors is header-only)', async () => {
    const { readFileSync } = await import('node:fs')
    const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8')
    const content = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1]
    expect(content).toBeDefined()
    const normalise = (policy: string) =>
      policy
        .split(';')
        .map((part) => part.trim().replace(/\s+/g, ' '))
        .filter((part) => part !== '' && !part.startsWith('frame-ancestors'))
        .sort()
    expect(normalise(content ?? '')).toEqual(normalise(CONTENT_SECURITY_POLICY))
  })
})
