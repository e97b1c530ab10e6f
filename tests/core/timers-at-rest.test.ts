import { describe, expect, it } from 'vitest'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { ProposalView } from '../../common/model/share'
import { SimulatedClock, SystemClock } from '../../main/core/lifecycle'
import { FATE_POLL_MS, watchFates } from '../../main/core/shares/proposal-fates'
import { openDatabase } from '../../main/core/store/database'
import { DocLog } from '../../main/core/store/doc-log'
import type { StoredSession } from '../../main/core/store/session'
import { WorkspaceSync } from '../../main/core/sync/workspace-sync'
import { waitFor } from '../helpers/wait'

// Nothing listens on port 9 here: the relay is out of reach, which is all these timers need.
const session: StoredSession = {
  relayUrl: 'ws://127.0.0.1:9',
  token: 'aaaa.bbbb.cccc',
  claims: { sub: 'mem_1', ws: 'ws_1', role: 'employee', name: 'E', iat: 0, exp: 2e9 },
  joinedAt: new Date().toISOString(),
}

const proposal = (state: ProposalView['state']): ProposalView => ({
  id: 'prop_1',
  url: 'https://example.com/a',
  title: 'A',
  note: '',
  caption: '',
  proposedAt: new Date().toISOString(),
  state,
  reason: null,
  decidedAt: null,
})

describe('a core at rest arms only what it scheduled', () => {
  it('the fates poll runs only while a proposal awaits a decision', async () => {
    const clock = new SimulatedClock(Date.now())
    let views: ProposalView[] = []
    const watch = watchFates({
      clock,
      session: () => session,
      views: () => views,
      changed: () => {},
    })
    try {
      expect(clock.pending).toBe(0)
      // Made and still sending: nothing to ask yet.
      views = [proposal('sending')]
      watch.kick()
      expect(clock.pending).toBe(0)
      // Delivered: it awaits a decision, the poll is armed (once, however often kicked).
      views = [proposal('pending')]
      watch.kick()
      watch.kick()
      expect(clock.pending).toBe(1)
      // An answer (here: the relay out of reach) and still pending: asked again later.
      clock.advance(FATE_POLL_MS)
      await waitFor('re-armed', () => clock.pending === 1 || undefined)
      // Decided: the next round finds none pending and stops.
      views = [{ ...proposal('approved'), decidedAt: new Date().toISOString() }]
      clock.advance(FATE_POLL_MS)
      expect(clock.pending).toBe(0)
    } finally {
      watch.dispose()
    }
  })

  it('others’ presence expires on a timer armed only while there is some', async () => {
    const clock = new SystemClock()
    const sync = new WorkspaceSync({
      session,
      docLog: new DocLog(openDatabase({ file: ':memory:' })),
      clock,
      // Only the presence timer counted: replicas that sleep arm one-off timers of their own.
      sleepAfterMs: 0,
    })
    try {
      const baseline = clock.pending
      // A window's (or a peer's) presence reaches the core's Awareness.
      const doc = new Y.Doc()
      const window = new Awareness(doc)
      window.setLocalState({ user: { name: 'E' } })
      applyAwarenessUpdate(
        sync.awareness.queue,
        encodeAwarenessUpdate(window, [doc.clientID]),
        'window',
      )
      window.destroy()
      doc.destroy()
      expect(sync.awareness.queue.getStates().has(doc.clientID)).toBe(true)
      expect(clock.pending).toBe(baseline + 1)
      // Not renewed: it expires after y-protocols' 30 s, and no timer is left.
      await waitFor('expired', () => !sync.awareness.queue.getStates().has(doc.clientID), {
        timeoutMs: 40_000,
      })
      expect(clock.pending).toBe(baseline)
    } finally {
      sync.destroy()
    }
  }, 60_000)
})
