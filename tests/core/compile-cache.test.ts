import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import nodeModule from 'node:module'
import path from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import {
  COMPILE_CACHE_DIR,
  type CompileCacheApi,
  enableCompileCache,
  flushCompileCache,
} from '../../main/core/compile-cache'
import { ChildMessage } from '../../main/core/process-protocol'
import { startCore } from '../helpers/core'
import { mainPortLike, type ParentPortListener } from '../helpers/parent-port'
import { removeTempDir, tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

/**
 * Issue 7.8: Node's compile cache (`module.enableCompileCache`, Node ≥ 22.1, so Electron 45's
 * utility process; not this machine's Node 20) is enabled in the core's data directory by both
 * entries — the app's utility process and the dev host — before the rest of the core loads, and
 * flushed once the core's module is compiled. Where the API is absent, the core starts as before.
 */

const dirs: string[] = []
const dir = (prefix: string) => {
  const created = tempDir(prefix)
  dirs.push(created)
  return created
}
afterAll(() => {
  for (const created of dirs) removeTempDir(created)
})

describe('enableCompileCache', () => {
  it("calls node:module's enableCompileCache with the data dir's cache folder when it exists", () => {
    const calls: (string | undefined)[] = []
    const api: CompileCacheApi = {
      enableCompileCache: (directory) => {
        calls.push(directory)
        return { status: 1 }
      },
      constants: { compileCacheStatus: { FAILED: 0, ENABLED: 1, ALREADY_ENABLED: 2, DISABLED: 3 } },
    }
    expect(enableCompileCache('/data/pv', api)).toBe(
      `compile cache: enabled in ${path.join('/data/pv', COMPILE_CACHE_DIR)}`,
    )
    expect(calls).toEqual([path.join('/data/pv', COMPILE_CACHE_DIR)])
  })

  it('is harmless where Node has no compile cache, or where enabling it throws', () => {
    expect(enableCompileCache('/data/pv', {})).toMatch(/^compile cache: not available in Node /)
    const throwing: CompileCacheApi = {
      enableCompileCache: () => {
        throw new Error('read-only file system')
      },
      flushCompileCache: () => {
        throw new Error('read-only file system')
      },
    }
    expect(enableCompileCache('/data/pv', throwing)).toBe(
      'compile cache: not enabled (read-only file system)',
    )
    expect(() => flushCompileCache(throwing)).not.toThrow()
    expect(() => flushCompileCache({})).not.toThrow()
  })
})

describe('the utility-process entry (what the app runs)', () => {
  it("enables the cache in the data dir named by main's open message, then serves main's messages in order", async () => {
    const real = nodeModule as CompileCacheApi
    const saved = { enable: real.enableCompileCache, flush: real.flushCompileCache }
    const enabled: (string | undefined)[] = []
    let flushed = 0
    real.enableCompileCache = (directory) => {
      enabled.push(directory)
      return { status: 1 }
    }
    real.flushCompileCache = () => {
      flushed++
    }
    try {
      const toParent: unknown[] = []
      const listeners: ParentPortListener[] = []
      Object.assign(process, {
        parentPort: {
          on: (_event: 'message', listener: ParentPortListener) => listeners.push(listener),
          postMessage: (message: unknown) => toParent.push(message),
        },
      })
      await import('../../main/core/process-entry')
      const send = (data: unknown, ports: unknown[] = []) => {
        for (const listener of listeners) listener({ data, ports })
      }
      const dataDir = dir('porte-voix-compile-cache-')
      // Main posts these at once, before the serving module has loaded.
      send({ type: 'open', dataDir })
      const { port1, port2 } = new MessageChannel()
      send({ type: 'attach' }, [mainPortLike(port2)])
      expect(enabled).toEqual([path.join(dataDir, COMPILE_CACHE_DIR)])
      await waitFor('ready', () => toParent.length > 0)
      expect(ChildMessage.parse(toParent[0])).toEqual({ type: 'ready' })
      await waitFor('the cache flushed once the core is open', () => flushed > 0)
      // The attached port was served (the attach came before the serving module loaded).
      // (Events, e.g. the core's status once it took the port over, may come before.)
      const answer = new Promise<string>((resolve) =>
        port1.on('message', (data: unknown) => {
          if (String(data).startsWith('{"t":"res"')) resolve(String(data))
        }),
      )
      port1.postMessage(JSON.stringify({ t: 'req', id: 1, method: 'status.get', params: {} }))
      expect(JSON.parse(await answer)).toMatchObject({ t: 'res', id: 1, ok: true })
      port1.close()
    } finally {
      real.enableCompileCache = saved.enable
      real.flushCompileCache = saved.flush
    }
  })
})

describe('the built core host', () => {
  it('enables the cache in its data dir when node:module has it, and flushes it once the core is open', async () => {
    const dataDir = dir('porte-voix-compile-cache-')
    const record = path.join(dir('porte-voix-compile-cache-spy-'), 'calls.txt')
    const spy = path.join(path.dirname(record), 'spy.cjs')
    // Stands in for Node 22's API on this Node: records each call, enables nothing.
    writeFileSync(
      spy,
      `const fs = require('node:fs'); const m = require('node:module')
m.enableCompileCache = (dir) => { fs.appendFileSync(${JSON.stringify(record)}, 'enable ' + dir + '\\n'); return { status: 1 } }
m.flushCompileCache = () => fs.appendFileSync(${JSON.stringify(record)}, 'flush\\n')
`,
    )
    const host = await startCore({
      dataDir,
      execArgv: ['--max-semi-space-size=1', '--expose-gc', '--require', spy],
    })
    try {
      expect((await host.client.call('status.get', {})).session).toBeNull()
      // A request only the core answers: the core's module loads and opens.
      await host.client.call('stats.mine', {}).catch(() => null)
      await waitFor('flushed', () => existsSync(record) && readCalls(record).includes('flush'))
      expect(readCalls(record)[0]).toBe(`enable ${path.join(dataDir, COMPILE_CACHE_DIR)}`)
    } finally {
      await host.stop()
    }
  })

  it("starts as before with this Node's own node:module", async () => {
    const dataDir = dir('porte-voix-compile-cache-')
    const host = await startCore({ dataDir, env: { ...process.env, PORTE_VOIX_START_TRACE: '1' } })
    try {
      expect((await host.client.call('status.get', {})).session).toBeNull()
    } finally {
      await host.stop()
    }
    if (typeof (nodeModule as CompileCacheApi).enableCompileCache === 'function') {
      // Node ≥ 22.1: the cache is really written there.
      expect(existsSync(path.join(dataDir, COMPILE_CACHE_DIR))).toBe(true)
    } else {
      expect(host.logs()).toContain('compile cache: not available in Node')
    }
  })
})

function readCalls(file: string): string[] {
  return readFileSync(file, 'utf8').trim().split('\n')
}
