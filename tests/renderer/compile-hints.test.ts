import { describe, expect, it } from 'vitest'
import { COMPILE_HINT, compileHints, firstPathChunks } from '../../renderer/build/compile-hints'

const chunk = (fileName: string, imports: string[], isEntry = false) => ({
  type: 'chunk' as const,
  fileName,
  imports,
  isEntry,
  code: `/* ${fileName} */`,
  map: { mappings: 'AAAA' },
})

/** The shape of the renderer's build: one entry, its static imports, lazy views, the studio. */
function bundle() {
  return {
    'assets/index-a.js': chunk('assets/index-a.js', ['assets/renderer-b.js'], true),
    'assets/renderer-b.js': chunk('assets/renderer-b.js', ['assets/react-c.js', 'assets/dom-d.js']),
    'assets/react-c.js': chunk('assets/react-c.js', []),
    'assets/dom-d.js': chunk('assets/dom-d.js', ['assets/react-c.js']),
    // Imported dynamically only (import() is not in `imports`).
    'assets/ItemView-e.js': chunk('assets/ItemView-e.js', ['assets/react-c.js']),
    'assets/mount-f.js': chunk('assets/mount-f.js', ['assets/react-c.js']),
    'assets/renderer-g.css': { type: 'asset' as const, fileName: 'assets/renderer-g.css' },
  }
}

describe('compile hints on the first screen’s chunks (issue 7.8)', () => {
  it('selects the entry and its static imports, transitively, never the lazy chunks', () => {
    expect(firstPathChunks(bundle())).toEqual([
      'assets/dom-d.js',
      'assets/index-a.js',
      'assets/react-c.js',
      'assets/renderer-b.js',
    ])
  })

  it('puts the hint on the first line and moves the source map down one line', () => {
    const output = bundle()
    const plugin = compileHints()
    const hook = plugin.generateBundle as {
      order: string
      handler: (options: unknown, bundle: unknown) => void
    }
    expect(hook.order).toBe('post')
    hook.handler({}, output)
    expect(output['assets/react-c.js'].code).toBe(`${COMPILE_HINT}\n/* assets/react-c.js */`)
    expect(output['assets/react-c.js'].map.mappings).toBe(';AAAA')
    expect(output['assets/mount-f.js'].code).toBe('/* assets/mount-f.js */')
    expect(output['assets/ItemView-e.js'].map.mappings).toBe('AAAA')
  })

  it('moves the written source map (the .map asset) down one line too', () => {
    // The build writes each chunk's map as an asset made before generateBundle's post hooks: a
    // map still one line up sends every profiled frame to the wrong source (popover-page.ts).
    const output: Record<string, unknown> = {
      ...bundle(),
      'assets/react-c.js.map': {
        type: 'asset' as const,
        fileName: 'assets/react-c.js.map',
        source: JSON.stringify({ version: 3, mappings: 'AAAA;AACA' }),
      },
    }
    const hook = compileHints().generateBundle as {
      handler: (options: unknown, bundle: unknown) => void
    }
    hook.handler({}, output)
    const asset = output['assets/react-c.js.map'] as { source: string }
    expect(JSON.parse(asset.source).mappings).toBe(';AAAA;AACA')
  })
})
