import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RELAY_CLOSE } from '../../common/doc/limits'
import { captionText, insertItem, itemsMap, readItem } from '../../common/doc/queue-doc'
import { ITEM_LIMITS } from '../../common/model/item'
import { encodeSync, SYNC_STEP1, SYNC_UPDATE } from '../../sync-server/protocol/messages'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from './support'

/** Updates from a client the room will never hear from, each depending on one it never gets. */
function orphans(): { structs: Uint8Array; deletes: Uint8Array } {
  const ghost = new Y.Doc()
  const updates: Uint8Array[] = []
  ghost.on('update', (u: Uint8Array) => updates.push(u))
  ghost.getText('t').insert(0, 'x'.repeat(2000))
  ghost.getText('t').insert(2000, ' and more')
  ghost.getText('t').delete(0, 10)
  // [1] starts at clock 2000 (the first 2000 never sent); [2] only deletes clocks it never sent.
  return { structs: updates[1] as Uint8Array, deletes: updates[2] as Uint8Array }
}

function hasPending(update: Uint8Array): boolean {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null
}

describe('room integrity, through a relay process', () => {
  let relay: RelayProcess
  let ws: string
  const url = async (name: string, role: 'champion' | 'employee', doc = 'queue') =>
    roomUrl(relay.url, ws, doc, (await relay.issueToken({ workspaceId: ws, name, role })).token)

  beforeAll(async () => {
    relay = await startRelay()
    ws = await relay.createWorkspace('Integrity')
  })
  afterAll(async () => {
    await relay?.stop()
    if (relay) rmSync(relay.dataDir, { recursive: true, force: true })
  })

  it('refuses updates that can never integrate from their sender only, and never keeps, serves or stores them', async () => {
    const honest = await RawClient.connect(await url('Honest', 'champion'))
    await honest.sync()
    const reader = await RawClient.connect(await url('Reader', 'employee'))
    await reader.sync()

    const { structs, deletes } = orphans()
    for (const [i, update] of [structs, deletes].entries()) {
      const { token, memberId } = await relay.issueToken({
        workspaceId: ws,
        name: `Faulty ${i}`,
        role: 'champion',
      })
      const faulty = await RawClient.connect(roomUrl(relay.url, ws, 'queue', token))
      await faulty.sync()
      faulty.send(encodeSync(SYNC_UPDATE, update))
      const closed = await faulty.closed
      expect(closed.code).toBe(RELAY_CLOSE.unintegrable)
      expect(relay.logs()).toMatch(
        new RegExp(`closed connection for bad input .*member=${memberId} code=4422`),
      )
    }

    // The next honest writer is not punished, and its edit reaches everyone.
    honest.doc.getText('t').insert(0, 'honest edit')
    await waitFor('reader has the honest edit', () =>
      reader.doc.getText('t').toString().includes('honest edit'),
    )
    expect(honest.closeEvent).toBeNull()

    // A newcomer's sync step 2 holds nothing pending, and neither does storage after a restart.
    const late = await RawClient.connect(await url('Late', 'employee'))
    await late.sync()
    expect(hasPending(late.step2s[0] as Uint8Array)).toBe(false)
    expect(late.doc.getText('t').toString()).toBe('honest edit')
    for (const client of [honest, reader, late]) await client.close()
    const { dataDir, port } = relay
    await relay.stop()
    relay = await startRelay({ dataDir, port })
    const after = await RawClient.connect(await url('After', 'employee'))
    await after.sync()
    expect(hasPending(after.step2s[0] as Uint8Array)).toBe(false)
    expect(after.doc.getText('t').toString()).toBe('honest edit')
    await after.close()
  })

  it('holds an update made before the client answered our sync step 1, instead of refusing it', async () => {
    const watcher = await RawClient.connect(await url('Watcher', 'employee'))
    await watcher.sync()
    // Edited offline: the relay has none of this yet.
    const offline = new Y.Doc()
    offline.getText('offline').insert(0, 'written on the train')
    const client = await RawClient.connect(await url('Commuter', 'champion'), {
      sendLocalUpdates: false,
    })
    Y.applyUpdate(client.doc, Y.encodeStateAsUpdate(offline))
    const updates: Uint8Array[] = []
    client.doc.on('update', (u: Uint8Array) => updates.push(u))
    client.doc.getText('offline').insert(0, 'Edited again: ')
    // As y-websocket does: step 1 and the fresh edit go out before the relay's step 1 is answered
    // (RawClient answers it on arrival, with everything the relay lacks).
    client.send(encodeSync(SYNC_STEP1, Y.encodeStateVector(new Y.Doc())))
    client.send(encodeSync(SYNC_UPDATE, updates[0] as Uint8Array))
    await waitFor('watcher has both edits', () =>
      watcher.doc.getText('offline').toString() === 'Edited again: written on the train'
        ? true
        : null,
    )
    expect(client.closeEvent).toBeNull()
    await client.close()
    await watcher.close()
  })

  it('repairs an item a champion’s update would break (caption over the limit, 21st variant), for every client including the sender', async () => {
    const writer = await RawClient.connect(await url('Writer', 'champion'))
    await writer.sync()
    const other = await RawClient.connect(await url('Other', 'champion'))
    await other.sync()
    const employee = await RawClient.connect(await url('Employee', 'employee'))
    await employee.sync()

    insertItem(writer.doc, makeItem('itm_long', { status: 'published' }))
    writer.doc.transact(() => {
      captionText(writer.doc, 'itm_long', 'linkedin').insert(0, 'y'.repeat(ITEM_LIMITS.caption + 1))
      const map = itemsMap(writer.doc).get('itm_long') as Y.Map<unknown>
      const list = (map.get('variants') as Y.Map<Y.Array<Y.Text>>).get('x') as Y.Array<Y.Text>
      list.push(Array.from({ length: ITEM_LIMITS.variants + 1 }, (_, i) => new Y.Text(`v${i}`)))
    })
    for (const [who, client] of [
      ['other', other],
      ['employee', employee],
      ['writer', writer],
    ] as const) {
      const read = await waitFor(`${who} reads the repaired item`, () => {
        const map = itemsMap(client.doc).get('itm_long')
        if (!map) return null
        const result = readItem(map)
        if (!('item' in result) || result.problems.length > 0) return null
        return result.item.captions.linkedin && result.item.variants.x ? result.item : null
      })
      expect(read.captions.linkedin).toHaveLength(ITEM_LIMITS.caption)
      expect(read.variants.x).toHaveLength(ITEM_LIMITS.variants)
    }
    expect(writer.closeEvent).toBeNull()
    expect(relay.logs()).toMatch(/dropped frame .*reason="repaired fields that broke an item"/)

    // What cannot be repaired (a new item with no link) is refused, and never reaches anyone.
    const faulty = await RawClient.connect(await url('Faulty', 'champion'))
    await faulty.sync()
    faulty.doc.transact(() => {
      const map = new Y.Map<unknown>()
      itemsMap(faulty.doc).set('itm_nolink', map)
      map.set('id', 'itm_nolink')
      map.set('status', 'published')
      map.set('title', 'No link')
    })
    expect((await faulty.closed).code).toBe(RELAY_CLOSE.brokenSchema)
    other.doc.getText('t2').insert(0, 'after')
    await waitFor('employee has the later edit', () =>
      employee.doc.getText('t2').toString() === 'after' ? true : null,
    )
    expect(itemsMap(employee.doc).has('itm_nolink')).toBe(false)
    for (const client of [writer, other, employee]) await client.close()
  })
})
