import { describe, expect, it } from 'vitest'
import { startRelay, stopRelay } from '../helpers/relay'
import { relayWithAcme } from '../helpers/relay-acme'
import { readStoredDoc } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from './support'

const fx = relayWithAcme()

/** The `directory updated` log lines: how many changes, and how many members they wrote. */
function directoryWrites(logs: string): { changes: number; members: number } {
  const lines = logs.split('\n').filter((l) => l.includes('directory updated'))
  const members = lines.reduce((n, l) => n + Number(/ members=(\d+)/.exec(l)?.[1] ?? 0), 0)
  return { changes: lines.length, members }
}

describe('directory entries of members connecting together (issue 11.3, connects)', () => {
  it('are written in a few changes, not one per member, and every member is listed', async () => {
    const count = 20
    const members = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        fx.relay.issueToken({ workspaceId: fx.acme, name: `Member ${i}`, role: 'employee' }),
      ),
    )
    const clients = await Promise.all(
      members.map(({ token }) => RawClient.connect(roomUrl(fx.relay.url, fx.acme, 'queue', token))),
    )
    const watcher = await RawClient.connect(
      roomUrl(fx.relay.url, fx.acme, 'directory', members[0]?.token ?? ''),
    )
    await watcher.sync()
    await waitFor('every member in the directory', () =>
      members.every(({ memberId }) => watcher.doc.getMap('members').has(memberId)),
    )
    await waitFor(
      'the directory log lines',
      () => directoryWrites(fx.relay.logs()).members >= count,
    )
    const writes = directoryWrites(fx.relay.logs())
    expect(writes.members).toBe(count)
    // One change per member before batching; connects completing within 50 ms share one.
    expect(writes.changes).toBeLessThan(count / 2)
    await Promise.all([...clients, watcher].map((c) => c.close()))
  })

  it('a member who connected just before the relay stops is in the stored directory', async () => {
    const own = await startRelay()
    try {
      const ws = await own.createWorkspace('Acme')
      const { memberId, token } = await own.issueToken({
        workspaceId: ws,
        name: 'Late',
        role: 'employee',
      })
      await RawClient.connect(roomUrl(own.url, ws, 'queue', token))
      // Within the batch window (50 ms): the write must happen before the rooms close.
      await own.stop()
      expect(own.logs()).not.toMatch(/directory update failed/)
      const stored = (await readStoredDoc(own.dataDir, `${ws}/directory`)).doc
      expect(stored.getMap('members').has(memberId)).toBe(true)
    } finally {
      await stopRelay(own)
    }
  })
})
