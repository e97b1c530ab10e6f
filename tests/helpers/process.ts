import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type Exit = { code: number | null; signal: NodeJS.Signals | null }

export type ListeningChild = {
  child: ChildProcess
  pid: number
  /** The match of `listening` against the child's output. */
  match: RegExpExecArray
  /** Everything the child printed so far (stdout + stderr). */
  logs(): string
  /** Resolves when the child has exited (by any means); `null` code means killed by a signal. */
  exited: Promise<Exit>
  /** Send `sig` unless the child has already exited; resolves when it has exited. */
  signal(sig: NodeJS.Signals): Promise<void>
}

// A test worker that ends without stopping its children must not leave them running, nor the
// folders its helpers made for them (restarts reuse a data dir, so they go when the worker ends).
const running = new Set<ChildProcess>()
const tempDirs = new Set<string>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})
// Vitest ends its fork workers with SIGTERM, whose default action skips 'exit' handlers.
process.once('SIGTERM', () => process.exit(143))

/** A fresh folder in the temp dir, removed when the test worker exits (or with `removeTempDir`). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

/**
 * Spawn `node ...args` (not detached) and resolve once its output matches `listening`. Fails,
 * with the output so far, if it exits first or does not get there within `timeoutMs` (then it is
 * killed). The child is killed when the test worker exits.
 */
export async function spawnUntilListening(o: {
  /** For error messages: "relay", "core host". */
  name: string
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  listening: RegExp
  timeoutMs: number
  /** Another node executable than this process's (benchmarks: tests/bench/node-runtime.ts). */
  command?: string
}): Promise<ListeningChild> {
  const child = spawn(o.command ?? process.execPath, o.args, {
    cwd: o.cwd,
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let output = ''
  const exited = new Promise<Exit>((done) => {
    child.once('exit', (code, signal) => {
      running.delete(child)
      done({ code, signal })
    })
  })
  const match = await new Promise<RegExpExecArray>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`${o.name} did not start within ${o.timeoutMs} ms:\n${output}`))
    }, o.timeoutMs)
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const found = o.listening.exec(output)
      if (found) {
        clearTimeout(timer)
        done(found)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      fail(
        new Error(`${o.name} exited before listening (code ${code}, signal ${signal}):\n${output}`),
      )
    })
  })
  return {
    child,
    pid: child.pid ?? -1,
    match,
    logs: () => output,
    exited,
    signal: async (sig) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig)
      await exited
    },
  }
}
