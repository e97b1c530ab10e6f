/**
 * A core started and stopped in a process of its own, for store-startup.test.ts: it opens the
 * core on the data directory given, closes it, and never calls process.exit — the process ends
 * only if nothing the core made (database handle, timer, socket) is left to keep it alive.
 *   node --import tsx tests/core/start-core-child.ts DATA_DIR
 */
import { Core } from '../../main/core/core'

const dataDir = process.argv[2]
if (!dataDir) throw new Error('usage: start-core-child.ts DATA_DIR')
Core.open({ dataDir, joinWaitMs: 200, log: () => {} }).then(
  async (core) => {
    process.stdout.write('opened\n')
    await core.close()
  },
  (error: unknown) => {
    process.stderr.write(
      `start failed: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    process.exitCode = 1
  },
)
