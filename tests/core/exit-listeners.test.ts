import { expect, it } from 'vitest'
import { openDatabase } from '../../main/core/store/database'
import { DocLog } from '../../main/core/store/doc-log'
import { WorkspaceSync } from '../../main/core/sync/workspace-sync'

/**
 * y-websocket adds a process 'exit' listener per provider (one per document of each workspace
 * sync): three cores in one process (a test's fixtures) passed Node's limit of 10 and printed
 * MaxListenersExceededWarning. The syncs share one listener (it stays, one in all, once they are
 * destroyed).
 */
it('workspace syncs in one process share one exit listener', () => {
  const before = process.listenerCount('exit')
  const syncs = ['Ana', 'Bea', 'Cyd'].map((name, i) => {
    const sync = new WorkspaceSync({
      session: {
        // Nobody listens there; the syncs go offline at once.
        relayUrl: 'ws://127.0.0.1:9',
        token: 'token',
        claims: { sub: `mem_${i}`, ws: 'ws_exit', role: 'champion', name, iat: 0, exp: 2e9 },
        joinedAt: new Date().toISOString(),
      },
      docLog: new DocLog(openDatabase({ file: ':memory:' })),
    })
    sync.setNetwork(false)
    return sync
  })
  try {
    expect(process.listenerCount('exit') - before).toBeLessThanOrEqual(1)
  } finally {
    for (const sync of syncs) sync.destroy()
  }
  expect(process.listenerCount('exit') - before).toBeLessThanOrEqual(1)
})
