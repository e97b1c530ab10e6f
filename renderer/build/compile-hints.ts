import type { Plugin } from 'vite'

/**
 * V8's explicit compile hint (Chromium ≥ 136; Debian's 156, Electron 45's): a file that starts
 * with this comment has every function compiled eagerly, on the script streamer's thread while
 * the file downloads, instead of lazily on the main thread the first time each runs (React's
 * render and commit functions run only once the first answer is in: their compiling sat between
 * answer and paint). Eagerly compiled functions are also in the V8 code cache Chromium writes
 * after the script ran, so a warm start compiles nothing of them.
 */
export const COMPILE_HINT = '//# allFunctionsCalledOnLoad'

type ChunkLike = { type: 'chunk'; isEntry: boolean; imports: string[]; fileName: string }
type OutputLike = ChunkLike | { type: 'asset'; fileName: string; source?: unknown }

/**
 * The chunks the window loads before its first screen: each entry and what it imports
 * statically, transitively (the modulepreloads of index.html). Lazy views are left lazy.
 */
export function firstPathChunks(bundle: Record<string, OutputLike>): string[] {
  const seen = new Set<string>()
  const visit = (fileName: string) => {
    const chunk = bundle[fileName]
    if (seen.has(fileName) || chunk?.type !== 'chunk') return
    seen.add(fileName)
    for (const imported of chunk.imports) visit(imported)
  }
  for (const output of Object.values(bundle)) {
    if (output.type === 'chunk' && output.isEntry) visit(output.fileName)
  }
  return [...seen].sort()
}

/**
 * Prepends COMPILE_HINT to the first-path chunks (build only). PORTE_VOIX_COMPILE_HINTS=0 builds
 * without them, to measure what they change (tests/bench/popover-page.ts, two builds).
 */
export function compileHints(): Plugin {
  if (process.env.PORTE_VOIX_COMPILE_HINTS === '0') return { name: 'porte-voix:compile-hints' }
  return {
    name: 'porte-voix:compile-hints',
    apply: 'build',
    generateBundle: {
      // After every other plugin's: Vite's import analysis puts its preload map (`__vite__mapDeps`)
      // on the first line of the chunks that import lazily, and the hint must be the file's first.
      order: 'post',
      handler(_options, bundle) {
        for (const fileName of firstPathChunks(bundle as Record<string, OutputLike>)) {
          const chunk = bundle[fileName]
          if (chunk?.type !== 'chunk') continue
          chunk.code = `${COMPILE_HINT}\n${chunk.code}`
          // One line more at the top: the source map's lines move down by one, in the chunk's map
          // and in the .map file, which the build has already made an asset by now.
          if (chunk.map) chunk.map.mappings = `;${chunk.map.mappings}`
          const written = bundle[`${fileName}.map`]
          if (written?.type === 'asset' && typeof written.source === 'string') {
            const map = JSON.parse(written.source) as { mappings: string }
            written.source = JSON.stringify({ ...map, mappings: `;${map.mappings}` })
          }
        }
      },
    },
  }
}
