import type { Plugin } from 'vite'

/**
 * PORTE_VOIX_CLASSIC_BUNDLE=1 (issue 7.8, session 7; electron.vite.config.ts): the renderer as
 * one classic script instead of ES module chunks. Chromium (Debian's 156, traced: BENCHMARKS,
 * "Session 7, page") consumes V8's code cache for classic scripts from their third load and
 * never for module scripts, which it parses and compiles again at every start
 * (tests/bench/code-cache-probe.ts). The build then emits one IIFE with the lazy views inlined;
 * this plugin turns index.html's module script tag into a deferred classic one (same order:
 * after parsing, before DOMContentLoaded). Off by default: not yet measured in Electron.
 */
export const CLASSIC_BUNDLE = process.env.PORTE_VOIX_CLASSIC_BUNDLE === '1'

/**
 * index.html's entry tag, as Vite writes it, made a classic deferred script, and the bundle's
 * one stylesheet linked (Vite links CSS only for ES module chunks).
 */
export function classicScriptTags(html: string, stylesheets: string[]): string {
  const links = stylesheets.map((file) => `<link rel="stylesheet" href="./${file}">`).join('')
  return html
    .replace(/<script type="module" crossorigin src=/g, '<script defer src=')
    .replace('</head>', `${links}</head>`)
}

export function classicBundle(): Plugin {
  return {
    name: 'porte-voix:classic-bundle',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: (html, context) => {
        const css = Object.values(context.bundle ?? {})
          .map((output) => output.fileName)
          .filter((file) => file.endsWith('.css'))
        // With cssCodeSplit off Vite links the stylesheet itself; otherwise it is linked here.
        return classicScriptTags(html, html.includes('rel="stylesheet"') ? [] : css)
      },
    },
  }
}
