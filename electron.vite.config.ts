import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'

const root = import.meta.dirname

// Top-level folders (main/, renderer/) instead of electron-vite's src/ layout need explicit entries.
export default defineConfig({
  main: {
    build: {
      lib: {
        entry: {
          index: resolve(root, 'main/index.ts'),
          // The core runs in its own utilityProcess, so it is a separate entry.
          core: resolve(root, 'main/core/process-entry.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads cannot be ES modules.
      lib: { entry: { index: resolve(root, 'main/preload/index.ts') }, formats: ['cjs'] },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [react()],
    build: {
      rolldownOptions: {
        input: { index: resolve(root, 'renderer/index.html') },
      },
    },
  },
})
