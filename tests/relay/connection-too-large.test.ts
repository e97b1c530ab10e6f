import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import type { CoreClient } from '../../common/contract/client'
import { MAX_CHANGE_BYTES } from '../../common/doc/limits'
import { Core } from '../../main/core/core'
import { clientOf } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { openReplica } from '../helpers/replica'
import { waitFor } from '../helpers/wait'
import { countLines } from './support'

/** A champion's core (in process) joined to `relay`, and its window replica of the queue. */
async function champion(relay: RelayProcess, workspaceId: string, name: string) {
  const dataDir = tempDir('pv-too-large-')
  const core = await Core.open({ dataDir, maxBackoffMs: 200 })
  const client: CoreClient = clientOf(core)
  const session = await client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name, role: 'champion' }),
  })
  await waitFor('synced', async () => (await client.call('status.get', {})).sync === 'synced')
  return { core, client, dataDir, memberId: session.memberId }
}

describe('changes too large for the relay', () => {
  const relays: RelayProcess[] = []
  const cleanups: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup()
    for (const relay of relays) {
      await relay.stop()
      rmSync(relay.dataDir, { recursive: true, force: true })
    }
  })

  it('a window’s oversized change is refused by the core with changeTooLarge and never sent', async () => {
    const relay = await startRelay()
    relays.push(relay)
    const ws = await relay.createWorkspace('Paste')
    const me = await champion(relay, ws, 'Paster')
    cleanups.push(async () => {
      await me.core.close()
      rmSync(me.dataDir, { recursive: true, force: true })
    })
    const refused: unknown[] = []
    me.client.on('doc.refused', (payload) => refused.push(payload))
    const replica = openReplica(me.client, 'queue')
    // A 1.2 MB paste, as in the issue.
    replica.doc.getText('paste').insert(0, 'p'.repeat(1_200_000))
    await waitFor('the window is told', () => refused.length > 0)
    expect(refused[0]).toMatchObject({
      doc: 'queue',
      problem: { code: 'changeTooLarge', vars: { limit: MAX_CHANGE_BYTES } },
    })
    // Nothing reached the relay, and the core stays connected.
    expect(relay.logs()).not.toMatch(/code=1009/)
    expect((await me.client.call('status.get', {})).sync).toBe('synced')
    replica.close()
  })

  it('a change the relay refuses anyway is surfaced and not resent in a hot loop', async () => {
    // A relay with a lower frame limit than the core's change limit: the relay's 1009 is the
    // only thing that stops the change.
    const relay = await startRelay({ args: ['--max-message-bytes', String(64 * 1024)] })
    relays.push(relay)
    const ws = await relay.createWorkspace('Small relay')
    const me = await champion(relay, ws, 'Writer')
    cleanups.push(async () => {
      await me.core.close()
      rmSync(me.dataDir, { recursive: true, force: true })
    })
    const replica = openReplica(me.client, 'queue')
    replica.doc.getText('paste').insert(0, 'q'.repeat(100_000))
    const status = await waitFor('the core says why', async () => {
      const s = await me.client.call('status.get', {})
      return s.sync !== 'synced' && s.problem?.code === 'changeTooLarge' ? s : null
    })
    expect(status.lastError).toMatch(/too large/)
    const accepted = () =>
      countLines(relay.logs(), new RegExp(`connection accepted .*member=${me.memberId} .*queue`))
    const before = accepted()
    await new Promise((resolve) => setTimeout(resolve, 3000))
    // Before the fix: a reconnect and a resend about every 200 ms, forever.
    expect(accepted() - before).toBe(0)
    replica.close()
  })
})
