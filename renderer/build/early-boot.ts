import type { Plugin } from 'vite'

/** The rollup input name of the popover's first module (renderer/src/boot.ts). */
export const BOOT_INPUT = 'boot'

type ChunkLike = { type: 'chunk'; isEntry: boolean; name: string; fileName: string }
type OutputLike = ChunkLike | { type: 'asset'; fileName: string }

/** The built boot chunk's file name, or null when the bundle has none. */
export function bootChunk(bundle: Record<string, OutputLike>): string | null {
  for (const output of Object.values(bundle)) {
    if (output.type === 'chunk' && output.isEntry && output.name === BOOT_INPUT) {
      return output.fileName
    }
  }
  return null
}

/**
 * Issue 7.8: the popover's first module runs before the rest of the page has loaded. Vite bundles
 * every module script of index.html into one entry (which would wait for react-dom and zod), so
 * boot.ts is a build input of its own (electron.vite.config.ts) and this puts it first in the
 * page's head as an `async` module script: it runs as soon as it is fetched, connects and sends
 * the first screen's requests while the app's chunks are still loading. The app's entry imports
 * the same module (one instance: the browser's module map is keyed by URL), so in development,
 * without this tag, it simply runs with the app.
 */
export function earlyBoot(): Plugin {
  return {
    name: 'porte-voix:early-boot',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        const file = context.bundle ? bootChunk(context.bundle as Record<string, OutputLike>) : null
        if (!file) return []
        return [
          {
            tag: 'script',
            attrs: { type: 'module', async: true, crossorigin: true, src: `./${file}` },
            // After the CSP meta tag, which covers only what follows it.
            injectTo: 'head',
          },
        ]
      },
    },
  }
}
