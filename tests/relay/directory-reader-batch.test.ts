import { afterEach, describe, expect, it } from 'vitest'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from './support'

/** The `directory updated` log lines: how many changes, and how many members they wrote. */
function directoryWrites(logs: string): { changes: number; members: number } {
  const lines = logs.split('\n').filter((l) => l.includes('directory updated'))
  const members = lines.reduce((n, l) => n + Number(/ members=(\d+)/.exec(l)?.[1] ?? 0), 0)
  return { changes: lines.length, members }
}

const COUNT = 16
/** Between two members' connects: the burst lasts ~COUNT × GAP_MS, several 50 ms windows. */
const GAP_MS = 30

/**
 * COUNT members connect one after another, GAP_MS apart, while a member watches the directory;
 * returns the directory's writes once every member is listed in the watcher's copy.
 */
async function spreadConnects(
  relay: RelayProcess,
): Promise<{ changes: number; members: number; elapsedMs: number }> {
  const ws = await relay.createWorkspace('Acme')
  const members: { token: string; memberId: string }[] = []
  for (let i = 0; i < COUNT; i++)
    members.push(await relay.issueToken({ workspaceId: ws, name: `Member ${i}`, role: 'employee' }))
  const first = members[0]?.token ?? ''
  const watcher = await RawClient.connect(roomUrl(relay.url, ws, 'directory', first))
  await watcher.sync()
  const clients: RawClient[] = []
  const started = Date.now()
  for (const { token } of members) {
    clients.push(await RawClient.connect(roomUrl(relay.url, ws, 'queue', token)))
    await new Promise((r) => setTimeout(r, GAP_MS))
  }
  const elapsedMs = Date.now() - started
  await waitFor('every member in the directory', () =>
    members.every(({ memberId }) => watcher.doc.getMap('members').has(memberId)),
  )
  await waitFor('the directory log lines', () => directoryWrites(relay.logs()).members >= COUNT)
  await Promise.all([...clients, watcher].map((c) => c.close()))
  return { ...directoryWrites(relay.logs()), elapsedMs }
}

describe('directory writes follow the readers merge interval (issue 11.3, connects)', () => {
  let relay: RelayProcess | null = null
  afterEach(async () => {
    if (relay) await stopRelay(relay)
    relay = null
  })

  it('members connecting over ~0.5 s with readers merged every second: a change per second, not per 50 ms', async () => {
    relay = await startRelay({ args: ['--reader-fanout-ms', '1000'] })
    const writes = await spreadConnects(relay)
    expect(writes.members).toBe(COUNT)
    // Every directory peer is a reader, sent the directory's changes merged once a second: a
    // change per 50 ms window reached nobody sooner (it was 8 here). The first one, with the
    // workspace's entry, after 50 ms; then one per second of the burst.
    expect(writes.changes).toBeLessThanOrEqual(2 + Math.ceil(writes.elapsedMs / 1000))
  })

  it("a workspace's first member: its entry (public URL) is written after 50 ms, not a merge interval", async () => {
    relay = await startRelay({ args: ['--reader-fanout-ms', '5000'] })
    const ws = await relay.createWorkspace('Acme')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'First', role: 'employee' })
    const queue = await RawClient.connect(roomUrl(relay.url, ws, 'queue', token))
    await queue.sync()
    await new Promise((r) => setTimeout(r, 600))
    // A core that synced its queue and shares now mints short links from the directory's entry.
    const directory = await RawClient.connect(roomUrl(relay.url, ws, 'directory', token))
    await directory.sync()
    expect(directory.doc.getMap('workspace').get('name')).toBe('Acme')
    await Promise.all([queue, directory].map((c) => c.close()))
  })

  it('without merging for readers, entries still wait 50 ms at most', async () => {
    relay = await startRelay({ args: ['--reader-fanout-ms', '0'] })
    const writes = await spreadConnects(relay)
    expect(writes.members).toBe(COUNT)
    expect(writes.changes).toBeGreaterThan(2)
  })
})
