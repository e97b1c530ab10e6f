import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'
import { CLASSIC_BUNDLE, classicBundle } from './renderer/build/classic-bundle'
import { compileHints } from './renderer/build/compile-hints'
import { BOOT_INPUT, earlyBoot } from './renderer/build/early-boot'

const root = import.meta.dirname

const mainEntries = {
  index: resolve(root, 'main/index.ts'),
  // The core runs in its own utilityProcess, so it is a separate entry.
  core: resolve(root, 'main/core/process-entry.ts'),
  // The dev/test host runs the same core in plain Node: built here so that tests and benchmarks
  // run the bundle the app runs, not sources through a TypeScript loader.
  host: resolve(root, 'main/host/main.ts'),
}

/**
 * Pure-JS dependencies go into the bundle: resolving and compiling them as separate packages at
 * every start costs more than reading one larger file. Native (better-sqlite3) and packages with
 * optional native parts (ws) stay external, as does what only the relay uses.
 */
const externalizeDeps = {
  exclude: [
    'zod',
    'yjs',
    'lib0',
    'y-protocols',
    'jose',
    'fast-xml-parser',
    'htmlparser2',
    'ipaddr.js',
    'y-websocket',
  ],
}

/**
 * PORTE_VOIX_HOST_BUILD_DIR=DIR builds only the main process's bundle into DIR: the test suite's
 * global setup does that once per run, so tests never run a stale out/ nor race a build of it.
 */
const hostOnlyDir = process.env.PORTE_VOIX_HOST_BUILD_DIR

/** The popover's first module as a script of its own (renderer/build/early-boot.ts); see below. */
const EARLY_BOOT = process.env.PORTE_VOIX_EARLY_BOOT === '1'

/**
 * This build's name in the core's stored first-screen answers (main/core/first-screen-quick.ts):
 * an answer written by another build is not sent (its shapes may differ).
 */
const coreBuild = {
  __PORTE_VOIX_BUILD__: JSON.stringify(`${Date.now().toString(36)}-${process.pid}`),
}

// Top-level folders (main/, renderer/) instead of electron-vite's src/ layout need explicit entries.
export default defineConfig(
  hostOnlyDir
    ? {
        main: {
          define: coreBuild,
          build: { outDir: hostOnlyDir, lib: { entry: mainEntries }, externalizeDeps },
        },
      }
    : {
        main: { define: coreBuild, build: { lib: { entry: mainEntries }, externalizeDeps } },
        preload: {
          build: {
            // Sandboxed preloads cannot be ES modules.
            lib: { entry: { index: resolve(root, 'main/preload/index.ts') }, formats: ['cjs'] },
          },
        },
        renderer: {
          root: resolve(root, 'renderer'),
          // compileHints: the first screen's chunks compiled eagerly, off the main thread (see file).
          // earlyBoot (PORTE_VOIX_EARLY_BOOT=1): boot.ts first in the page, on its own (see file).
          // Off by default: in the first-paint chain (load 3–5, two pairs) the core's main() came
          // 300–550 ms later with it and first paint was later; to settle on a quiet machine.
          // PORTE_VOIX_CLASSIC_BUNDLE=1: one classic script, whose V8 code cache Chromium uses
          // (renderer/build/classic-bundle.ts); no compile hints then (they would compile it all).
          plugins: CLASSIC_BUNDLE
            ? [react(), classicBundle()]
            : [react(), compileHints(), ...(EARLY_BOOT ? [earlyBoot()] : [])],
          build: {
            // electron-vite leaves the renderer unminified; the windows load it from disk at start.
            minify: true,
            ...(CLASSIC_BUNDLE ? { modulePreload: false, cssCodeSplit: false } : {}),
            rolldownOptions: {
              input: {
                index: resolve(root, 'renderer/index.html'),
                ...(EARLY_BOOT && !CLASSIC_BUNDLE
                  ? { [BOOT_INPUT]: resolve(root, 'renderer/src/boot.ts') }
                  : {}),
              },
              // Modules run in import order even when split across chunks: zod-jitless.ts must run
              // before any module that builds a schema (else zod probes eval, a CSP violation).
              output: CLASSIC_BUNDLE
                ? { format: 'iife', inlineDynamicImports: true }
                : { strictExecutionOrder: true },
            },
          },
        },
      },
)
