import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..', '..')

/**
 * The built renderer the dev host serves to Chromium. `npm test` builds it into out/renderer
 * first; PV_RENDERER_DIR points elsewhere (e.g. a private `npx vite build renderer --outDir …`).
 */
export function rendererDir(): string {
  const dir = process.env.PV_RENDERER_DIR ?? join(ROOT, 'out', 'renderer')
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(
      `No built renderer in ${dir}: run \`npm run build\` (or set PV_RENDERER_DIR to a vite build of renderer/)`,
    )
  }
  return dir
}
