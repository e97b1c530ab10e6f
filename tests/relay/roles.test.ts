import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { insertItem, itemsMap, setCaption } from '../../common/doc/queue-doc'
import {
  encodeAwareness,
  encodeQueryAwareness,
  encodeSync,
  SYNC_STEP2,
  SYNC_UPDATE,
} from '../../sync-server/protocol/messages'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay, startRelayTeam, stopRelay } from '../helpers/relay'
import { readStoredDoc } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { countLines, provider, RawClient, roomUrl, synced } from './support'

/** Published (the queue holds nothing else), with the caption the employee tries to change. */
const item = (id: string, title: string) =>
  makeItem(id, { status: 'published', title, captions: { linkedin: 'Read this' } })

let relay: RelayProcess
let ws: string
let championToken: string
let employeeToken: string

beforeAll(async () => {
  ;({ relay, ws, championToken, employeeToken } = await startRelayTeam())
})
afterAll(async () => {
  await stopRelay(relay)
})

/** What a fresh champion sees in the queue right now. */
async function freshChampionView(): Promise<Y.Doc> {
  const client = await RawClient.connect(roomUrl(relay.url, ws, 'queue', championToken))
  await client.sync()
  await client.close()
  return client.doc
}

describe('roles enforced by the relay', () => {
  it("drops an employee's writes to the queue, from a real client and from a crafted frame", async () => {
    const champion = provider(relay.url, ws, 'queue', championToken)
    const employee = provider(relay.url, ws, 'queue', employeeToken)
    const observer = provider(relay.url, ws, 'queue', championToken)
    try {
      await Promise.all([synced(champion), synced(employee), synced(observer)])

      // A champion's write reaches everybody, the employee included.
      insertItem(champion.doc, item('item_champ1', 'From the champion'))
      await waitFor(
        'employee gets item',
        () => employee.doc && itemsMap(employee.doc).has('item_champ1'),
      )
      await waitFor('observer gets item', () => itemsMap(observer.doc).has('item_champ1'))

      // 1. The real y-websocket client: the employee edits its local replica.
      const DROPPED = /dropped frame .*reason="update from read-only connection"/
      const dropsBefore = countLines(relay.logs(), DROPPED)
      insertItem(employee.doc, item('item_emp1', 'Sneaky employee item'))
      setCaption(
        employee.doc,
        'item_champ1',
        'linkedin',
        'Hijacked caption',
        new Date().toISOString(),
      )
      await waitFor(
        'relay to log the dropped updates',
        () => countLines(relay.logs(), DROPPED) >= dropsBefore + 1,
      )

      // 2. A crafted frame on a raw socket: an update and a sync step 2 carrying an item.
      const forged = new Y.Doc()
      insertItem(forged, item('item_raw1', 'Forged by raw frame'))
      const raw = await RawClient.connect(roomUrl(relay.url, ws, 'queue', employeeToken), {
        sendLocalUpdates: false,
      })
      const rawBefore = countLines(relay.logs(), DROPPED)
      raw.send(encodeSync(SYNC_UPDATE, Y.encodeStateAsUpdate(forged)))
      raw.send(encodeSync(SYNC_STEP2, Y.encodeStateAsUpdate(forged)))
      // Frames on one connection are handled in order: once step 1 is answered, both were seen.
      await raw.sync()
      expect(raw.closeEvent).toBeNull()
      // One line for the connection's first drop; the next ones are counted, not each logged.
      expect(countLines(relay.logs(), DROPPED)).toBe(rawBefore + 1)
      expect(relay.logs()).toMatch(
        /dropped frame .*update from read-only connection.*kind=sync-update/,
      )

      // Barrier: a later champion write reaches the observer after anything broadcast before it.
      insertItem(champion.doc, item('item_champ2', 'Barrier'))
      await waitFor('observer gets barrier', () => itemsMap(observer.doc).has('item_champ2'))

      for (const doc of [champion.doc, observer.doc, raw.doc]) {
        expect(itemsMap(doc).has('item_emp1')).toBe(false)
        expect(itemsMap(doc).has('item_raw1')).toBe(false)
      }
      const captionOf = (doc: Y.Doc) => {
        const captions = itemsMap(doc).get('item_champ1')?.get('captions')
        return captions instanceof Y.Map ? String(captions.get('linkedin')) : null
      }
      expect(captionOf(observer.doc)).toBe('Read this')
      const fresh = await freshChampionView()
      expect([...itemsMap(fresh).keys()].sort()).toEqual(['item_champ1', 'item_champ2'])
      expect(captionOf(fresh)).toBe('Read this')
      await raw.close()
    } finally {
      champion.destroy()
      employee.destroy()
      observer.destroy()
    }

    // And nothing of it is in the relay's storage (SQLite file, or PostgreSQL + Redis), read
    // after a restart.
    const { dataDir, port } = relay
    await relay.stop()
    const stored = (await readStoredDoc(dataDir, `${ws}/queue`)).doc
    expect([...itemsMap(stored).keys()].sort()).toEqual(['item_champ1', 'item_champ2'])
    relay = await startRelay({ dataDir, port })
    const afterRestart = await freshChampionView()
    expect([...itemsMap(afterRestart).keys()].sort()).toEqual(['item_champ1', 'item_champ2'])
  })

  it('makes the directory read-only even for champions; the relay writes members into it', async () => {
    const champion = await RawClient.connect(roomUrl(relay.url, ws, 'directory', championToken))
    await champion.sync()
    await waitFor('directory lists both members', () => champion.doc.getMap('members').size === 2)
    champion.doc.getMap('members').set('mem_fake', { id: 'mem_fake', displayName: 'Fake' })
    await champion.sync()
    const observer = await RawClient.connect(roomUrl(relay.url, ws, 'directory', employeeToken))
    await observer.sync()
    const members = observer.doc.getMap('members').toJSON() as Record<
      string,
      { role: string; displayName: string }
    >
    expect(members.mem_fake).toBeUndefined()
    expect(
      Object.values(members)
        .map((m) => `${m.displayName}:${m.role}`)
        .sort(),
    ).toEqual(['Chloé:champion', 'Émile:employee'])
    expect(observer.doc.getMap('workspace').get('name')).toBe('Acme')
    await champion.close()
    await observer.close()
  })

  it('relays presence to read-only connections but not from them, and clears it when writers leave', async () => {
    const champion = provider(relay.url, ws, 'queue', championToken)
    const employee = provider(relay.url, ws, 'queue', employeeToken)
    try {
      await Promise.all([synced(champion), synced(employee)])
      employee.awareness.setLocalStateField('user', { name: 'Émile', reading: 'item_champ1' })
      champion.awareness.setLocalStateField('user', { name: 'Chloé' })
      const seen = (p: typeof champion, id: number) => p.awareness.getStates().get(id)
      // Read-only connections receive presence...
      await waitFor('employee sees the champion', () => seen(employee, champion.doc.clientID))
      // ...but publish none: the relay drops it, with a line naming the connection's member.
      await waitFor('relay drops the employee’s presence', () =>
        /WARN dropped awareness .*reason="read-only connection"/.test(relay.logs()),
      )
      // The same from a raw employee socket, in order: once its sync step 1 is answered, its
      // presence frame before it has been dealt with (and broadcast, had it been accepted).
      const reader = await RawClient.connect(roomUrl(relay.url, ws, 'queue', employeeToken))
      const readerAwareness = new Awareness(reader.doc)
      readerAwareness.setLocalState({ user: { name: 'Émile' } })
      reader.send(encodeAwareness(encodeAwarenessUpdate(readerAwareness, [reader.doc.clientID])))
      await reader.sync()
      readerAwareness.destroy()
      // A late joiner gets the presence already there: the champion's, no employee's. Its own
      // presence, announced after the reader's frame was handled, is a barrier for the champion.
      const late = provider(relay.url, ws, 'queue', championToken)
      await waitFor('late joiner sees the champion', () => seen(late, champion.doc.clientID))
      late.awareness.setLocalStateField('user', { name: 'Chloé', device: 'laptop' })
      await waitFor('champion sees the late joiner', () => seen(champion, late.doc.clientID)?.user)
      for (const observer of [champion, late]) {
        expect(seen(observer, employee.doc.clientID)).toBeUndefined()
        expect(seen(observer, reader.doc.clientID)).toBeUndefined()
      }
      // A read-only connection's query-awareness is answered with everyone's presence.
      reader.presence.clear()
      const framesBefore = reader.awarenessFrames
      reader.send(encodeQueryAwareness())
      await waitFor('answer to query-awareness', () => reader.awarenessFrames > framesBefore)
      expect(reader.presence.get(champion.doc.clientID)).toEqual({ user: { name: 'Chloé' } })
      expect(reader.presence.has(late.doc.clientID)).toBe(true)
      expect(reader.presence.has(employee.doc.clientID)).toBe(false)
      expect(reader.closeEvent).toBeNull()
      await reader.close()
      late.destroy()
      await waitFor('presence removed on leave', () => !seen(champion, late.doc.clientID))

      // A client that vanishes without saying goodbye: the relay clears the presence it announced.
      const raw = await RawClient.connect(roomUrl(relay.url, ws, 'queue', championToken))
      const rawAwareness = new Awareness(raw.doc)
      rawAwareness.setLocalState({ user: { name: 'Chloé' } })
      raw.send(encodeAwareness(encodeAwarenessUpdate(rawAwareness, [raw.doc.clientID])))
      await waitFor('champion sees the raw client', () => seen(champion, raw.doc.clientID))
      raw.ws.terminate()
      await waitFor('relay removes vanished presence', () => !seen(champion, raw.doc.clientID))
      rawAwareness.destroy()
    } finally {
      champion.destroy()
      employee.destroy()
    }
  })
})
