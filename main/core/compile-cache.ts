/**
 * Node's on-disk compile cache for the core's own JavaScript (`module.enableCompileCache`, Node
 * ≥ 22.1: Electron 45's utility process has it, Node 20 does not). Each start otherwise parses
 * and compiles ~1.1 MB of bundle again before the first answer (BENCHMARKS.md, "core start to
 * first paint"). Only what is loaded after the call is cached, so the entries (process-entry.ts,
 * main/host/main.ts) call this first and import the rest afterwards. Imports nothing but
 * node:module and node:path: it must stay cheap to load.
 */
import nodeModule from 'node:module'
import path from 'node:path'

/** The part of node:module this uses; both functions are absent before Node 22. */
export type CompileCacheApi = {
  enableCompileCache?: (directory?: string) => { status: number; message?: string }
  flushCompileCache?: () => void
  constants?: { compileCacheStatus?: Record<string, number> }
}

/** The cache's folder inside the core's data directory. */
export const COMPILE_CACHE_DIR = 'compile-cache'

/**
 * Enable the compile cache under `dataDir` when this Node has it; says what happened (for the
 * log). Never throws: without a cache the core starts as before.
 */
export function enableCompileCache(
  dataDir: string,
  api: CompileCacheApi = nodeModule as CompileCacheApi,
  /** Another folder (the dev host's PORTE_VOIX_COMPILE_CACHE_DIR: benches that copy data dirs). */
  directory = path.join(dataDir, COMPILE_CACHE_DIR),
): string {
  if (typeof api.enableCompileCache !== 'function') {
    return `compile cache: not available in Node ${process.versions.node}`
  }
  try {
    const result = api.enableCompileCache(directory)
    const names = Object.entries(api.constants?.compileCacheStatus ?? {})
    const status = names.find(([, value]) => value === result?.status)?.[0] ?? result?.status
    return `compile cache: ${String(status).toLowerCase()} in ${directory}${result?.message ? ` (${result.message})` : ''}`
  } catch (error) {
    return `compile cache: not enabled (${error instanceof Error ? error.message : String(error)})`
  }
}

/**
 * Write what was compiled so far (the core's whole module, once it is open), rather than only at
 * exit: an app that is killed, or a core that crashes, would otherwise never save it.
 */
export function flushCompileCache(api: CompileCacheApi = nodeModule as CompileCacheApi): void {
  try {
    api.flushCompileCache?.()
  } catch {
    // The next start compiles again; nothing else depends on the cache.
  }
}
