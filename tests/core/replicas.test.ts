import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import type * as Y from 'yjs'
import type { CoreClient } from '../../common/contract/client'
import { fromBase64, toBase64 } from '../../common/contract/messages'
import { captionText, itemsMap } from '../../common/doc/queue-doc'
import { Core } from '../../main/core/core'
import { clientOf } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { openReplica } from '../helpers/replica'
import { waitFor } from '../helpers/wait'

/** Send a window replica's local edits to the core, as the renderer binding does. */
function pushEdits(client: CoreClient, doc: Y.Doc): void {
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === 'core') return
    const encoder = encoding.createEncoder()
    syncProtocol.writeUpdate(encoder, update)
    client.send({ t: 'doc', doc: 'queue', data: toBase64(encoding.toUint8Array(encoder)) })
  })
}

describe('window replicas through two cores and a relay', () => {
  let relay: RelayProcess
  let workspaceId: string
  const cores: Core[] = []

  async function core(role: 'champion' | 'employee', name: string) {
    const opened = await Core.open({ dataDir: tempDir('pv-rep-') })
    cores.push(opened)
    const client = clientOf(opened)
    await client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name, role }),
    })
    return { core: opened, client }
  }

  beforeAll(async () => {
    relay = await startRelay()
    workspaceId = await relay.createWorkspace('Replicas')
  })
  afterAll(async () => {
    await Promise.all(cores.map((c) => c.close()))
    await relay?.stop()
  })

  it('a champion window co-edits a caption; an employee window’s edits go nowhere', async () => {
    const alice = await core('champion', 'Alice')
    const bob = await core('champion', 'Bob')
    const eve = await core('employee', 'Eve')
    const item = await alice.client.call('item.create', {
      title: 'Co-edited',
      url: 'https://example.com/co',
      objective: 'awareness',
      captions: { linkedin: 'Hello' },
      // Published: in the queue document, which employees' windows hold too.
      status: 'published',
    })

    // Bob's window edits the caption in its own replica.
    const bobWindow = openReplica(bob.client, 'queue')
    pushEdits(bob.client, bobWindow.doc)
    await waitFor('item in Bob’s window', () => itemsMap(bobWindow.doc).has(item.id))
    captionText(bobWindow.doc, item.id, 'linkedin').insert(5, ' world')
    await waitFor(
      'window edit reaches the other champion',
      async () =>
        (await alice.client.call('item.get', { id: item.id })).captions.linkedin === 'Hello world',
    )

    // Eve's window (employee) tries the same: dropped by her core, never reaches anyone.
    const eveWindow = openReplica(eve.client, 'queue')
    pushEdits(eve.client, eveWindow.doc)
    await waitFor('item in Eve’s window', () => itemsMap(eveWindow.doc).has(item.id))
    captionText(eveWindow.doc, item.id, 'linkedin').insert(0, 'HACKED ')
    // A later champion edit proves the pipe is flowing before we look.
    await alice.client.call('item.update', { id: item.id, patch: { priority: 77 } })
    await waitFor(
      'later champion edit reaches Eve',
      async () => (await eve.client.call('item.get', { id: item.id })).priority === 77,
    )
    for (const who of [alice, bob, eve]) {
      expect((await who.client.call('item.get', { id: item.id })).captions.linkedin).toBe(
        'Hello world',
      )
    }
    bobWindow.close()
    eveWindow.close()
  })

  it('awareness (presence) flows from a window on one core to a window on another', async () => {
    const alice = await core('champion', 'Alice2')
    const bob = await core('champion', 'Bob2')
    // Windows announce presence once they hold the doc.
    const aliceWindow = openReplica(alice.client, 'queue')
    const bobWindow = openReplica(bob.client, 'queue')
    const aliceAwareness = new Awareness(aliceWindow.doc)
    const bobAwareness = new Awareness(bobWindow.doc)
    bob.client.onDocMessage((message) => {
      if (message.t === 'awareness')
        applyAwarenessUpdate(bobAwareness, fromBase64(message.data), 'core')
    })
    // The relay accepts a presence name only if it is the token's name.
    aliceAwareness.setLocalState({ user: { name: 'Alice2' }, editing: 'item_x' })
    alice.client.send({
      t: 'awareness',
      doc: 'queue',
      data: toBase64(encodeAwarenessUpdate(aliceAwareness, [aliceWindow.doc.clientID])),
    })
    const seen = await waitFor('Alice’s presence seen by Bob’s window', () =>
      bobAwareness.getStates().get(aliceWindow.doc.clientID),
    )
    expect(seen).toEqual({ user: { name: 'Alice2' }, editing: 'item_x' })
    // Closing Alice's window removes her presence.
    aliceWindow.close()
    await waitFor(
      'Alice’s presence removed',
      () => !bobAwareness.getStates().has(aliceWindow.doc.clientID),
    )
    aliceAwareness.destroy()
    bobAwareness.destroy()
    bobWindow.close()
  })
})
