/**
 * A change the core refuses reaches the studio's store as `doc.refused`: the window's replica,
 * now ahead of the core's, is started again from the core's state (the change is discarded, later
 * edits still integrate) and the reason is kept for the banner. The editors refuse such a change
 * before it is made (see tests/e2e/studio-comfort.test.ts); this drives the store directly, as an
 * editor without that limit would, against a real relay and core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_CHANGE_BYTES } from '../../common/doc/limits'
import { captionText, itemsMap } from '../../common/doc/queue-doc'
import { type CoreProcess, startCore } from '../helpers/core'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

// The store reads the browser's languages at creation; Node 20 has no `navigator`.
if (!('navigator' in globalThis)) {
  Object.defineProperty(globalThis, 'navigator', { value: { languages: ['en-US'] } })
}
const { useStudio } = await import('../../renderer/src/studio/store')

describe('a change the core refuses, in the studio', () => {
  let relay: RelayProcess
  let core: CoreProcess

  beforeAll(async () => {
    relay = await startRelay()
    const workspaceId = await relay.createWorkspace('Acme Refusals')
    core = await startCore()
    await core.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Alice Martin', role: 'champion' }),
    })
    await useStudio.getState().connect(await core.connect())
  }, 60_000)

  afterAll(async () => {
    useStudio.getState().replica?.destroy()
    useStudio.getState().curationReplica?.destroy()
    await core?.stop()
    await relay?.stop()
  })

  it('discards a change over the size limit, says why, and keeps editing afterwards', async () => {
    const item = await core.client.call('item.create', {
      title: 'Huge paste',
      url: 'https://example.com/huge',
      objective: 'awareness',
      status: 'published',
    })
    const first = await waitFor('the window replica holds the item', () => {
      const { replica, replicaSynced } = useStudio.getState()
      return replica && replicaSynced && itemsMap(replica.doc).has(item.id) ? replica : undefined
    })
    // About 1.2 MB in one change, past what the core sends to the relay.
    captionText(first.doc, item.id, 'linkedin').insert(0, 'é'.repeat(600_000))

    const refused = await waitFor(
      'the store learns of the refusal',
      () => useStudio.getState().refused,
    )
    expect(refused.doc).toBe('queue')
    expect(refused.problem.code).toBe('changeTooLarge')
    expect(Number(refused.problem.vars?.bytes)).toBeGreaterThan(MAX_CHANGE_BYTES)

    // A new replica, from the core's state: the refused text is gone from the window too.
    const second = await waitFor('the replica is opened again', () => {
      const { replica, replicaSynced } = useStudio.getState()
      return replica && replica !== first && replicaSynced && itemsMap(replica.doc).has(item.id)
        ? replica
        : undefined
    })
    expect(captionText(second.doc, item.id, 'linkedin').toString()).toBe('')
    expect((await core.client.call('item.get', { id: item.id })).captions.linkedin).toBeUndefined()

    // Editing goes on: the next change integrates in the core (nothing pending on the refusal).
    captionText(second.doc, item.id, 'linkedin').insert(0, 'Short and sweet')
    await waitFor('the next edit reaches the core', async () =>
      (await core.client.call('item.get', { id: item.id })).captions.linkedin === 'Short and sweet'
        ? true
        : undefined,
    )
    useStudio.getState().clearRefused()
    expect(useStudio.getState().refused).toBeNull()
  })
})
