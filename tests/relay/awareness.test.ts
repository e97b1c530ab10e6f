import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { encodeAwareness, MESSAGE_AWARENESS } from '../../sync-server/protocol/messages'
import type { Peer, Room } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { countLines, provider, RawClient, roomUrl, synced } from './support'

/** An awareness update written by hand: `count, (clientID, clock, JSON state)*`. */
function presence(...entries: [clientId: number, clock: number, state: unknown][]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, entries.length)
  for (const [clientId, clock, state] of entries) {
    encoding.writeVarUint(e, clientId)
    encoding.writeVarUint(e, clock)
    encoding.writeVarString(e, JSON.stringify(state))
  }
  return encoding.toUint8Array(e)
}

/** A peer that records the client ids of every awareness frame it is sent. */
class TestPeer implements Peer {
  static #next = 1
  readonly id = TestPeer.#next++
  readonly member: string
  readonly received: number[][] = []
  constructor(member: string) {
    this.member = member
  }
  send(frame: Uint8Array): void {
    const d = decoding.createDecoder(frame)
    if (decoding.readVarUint(d) !== MESSAGE_AWARENESS) return
    const u = decoding.createDecoder(decoding.readVarUint8Array(d))
    const ids: number[] = []
    for (let i = decoding.readVarUint(u); i > 0; i--) {
      ids.push(decoding.readVarUint(u))
      decoding.readVarUint(u)
      decoding.readVarString(u)
    }
    this.received.push(ids)
  }
}

let cleanup: (() => Promise<void>) | null = null
afterEach(async () => {
  await cleanup?.()
  cleanup = null
})

async function setup(): Promise<{ room: Room; lines: string[] }> {
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'porte-voix-awareness-')))
  const lines: string[] = []
  const rooms = new RoomManager(
    new SqliteStore(db),
    createLogger((l) => lines.push(l)),
    {
      idleUnloadMs: 60_000,
      compactEvery: 1000,
    },
  )
  const room = await rooms.acquire({ workspaceId: 'ws_presence', doc: 'queue' })
  cleanup = async () => {
    rooms.release(room)
    await rooms.closeAll()
    db.close()
  }
  return { room, lines }
}

function enter(room: Room, ...peers: Peer[]): void {
  for (const peer of peers) room.addPeer(peer)
}

const stateOf = (room: Room, id: number) => room.awareness.getStates().get(id)
const drops = (lines: string[], conn: number) =>
  lines.filter((l) => l.includes('WARN dropped awareness') && l.includes(` conn=${conn} `))

describe('presence (awareness) on the relay', () => {
  it('a connection cannot overwrite or remove presence another member announced', async () => {
    const { room, lines } = await setup()
    const alice = new TestPeer('mem_alice')
    const mallory = new TestPeer('mem_mallory')
    const bystander = new TestPeer('mem_bob')
    enter(room, alice, mallory, bystander)

    room.applyAwareness(presence([100, 1, { user: 'Alice' }]), alice)
    expect(stateOf(room, 100)).toEqual({ user: 'Alice' })
    expect(bystander.received).toEqual([[100]])

    // A higher clock would win in y-protocols; the relay refuses it because 100 is Alice's.
    room.applyAwareness(presence([100, 50, { user: 'Not Alice' }]), mallory)
    room.applyAwareness(presence([100, 51, null]), mallory)
    expect(stateOf(room, 100)).toEqual({ user: 'Alice' })
    expect(bystander.received).toEqual([[100]])
    expect(drops(lines, mallory.id)).toHaveLength(1)
    expect(drops(lines, mallory.id)[0]).toContain('reason="client id owned by another connection"')

    // Mixed frames keep the sender's own entries only.
    room.applyAwareness(
      presence([100, 60, { user: 'Nope' }], [200, 1, { user: 'Mallory' }]),
      mallory,
    )
    expect(stateOf(room, 100)).toEqual({ user: 'Alice' })
    expect(stateOf(room, 200)).toEqual({ user: 'Mallory' })
    expect(bystander.received).toEqual([[100], [200]])

    // Alice still controls her own presence.
    room.applyAwareness(presence([100, 2, { user: 'Alice', cursor: 3 }]), alice)
    expect(stateOf(room, 100)).toEqual({ user: 'Alice', cursor: 3 })

    // Leaving clears what the connection owned, and only that.
    room.removePeer(mallory)
    expect(stateOf(room, 200)).toBeUndefined()
    expect(stateOf(room, 100)).toEqual({ user: 'Alice', cursor: 3 })
  })

  it('logs refused presence at most once per connection per interval, with a count', async () => {
    const { room, lines } = await setup()
    const alice = new TestPeer('mem_alice')
    const mallory = new TestPeer('mem_mallory')
    const eve = new TestPeer('mem_eve')
    enter(room, alice, mallory, eve)
    room.applyAwareness(presence([100, 1, { user: 'Alice' }]), alice)
    for (let clock = 2; clock < 200; clock++) {
      room.applyAwareness(presence([100, clock, { spam: clock }]), mallory)
    }
    room.applyAwareness(presence([100, 500, null]), eve)
    expect(drops(lines, mallory.id)).toHaveLength(1)
    expect(drops(lines, eve.id)).toHaveLength(1)
    expect(stateOf(room, 100)).toEqual({ user: 'Alice' })
    expect(alice.received).toEqual([])
  })

  it('caps the client ids one connection speaks for', async () => {
    const { room, lines } = await setup()
    const flooder = new TestPeer('mem_flood')
    const bystander = new TestPeer('mem_bob')
    enter(room, flooder, bystander)
    const many = Array.from({ length: 50 }, (_, i): [number, number, unknown] => [
      1000 + i,
      1,
      { n: i },
    ])
    room.applyAwareness(presence(...many), flooder)
    const present = [...room.awareness.getStates().keys()]
    expect(present).toHaveLength(8)
    expect(bystander.received.flat()).toHaveLength(8)
    expect(drops(lines, flooder.id)[0]).toContain('reason="too many client ids"')
    // Its own ids keep working.
    room.applyAwareness(presence([1000, 2, { n: 'again' }]), flooder)
    expect(stateOf(room, 1000)).toEqual({ n: 'again' })
  })

  it('drops an oversized presence frame instead of sending it to every peer', async () => {
    const { room, lines } = await setup()
    const sender = new TestPeer('mem_big')
    const bystander = new TestPeer('mem_bob')
    enter(room, sender, bystander)
    room.applyAwareness(presence([300, 1, { pad: 'x'.repeat(40 * 1024) }]), sender)
    expect(stateOf(room, 300)).toBeUndefined()
    expect(bystander.received).toEqual([])
    expect(drops(lines, sender.id)[0]).toContain('reason="awareness update too big"')
    // A normal-sized one from the same connection still goes through.
    room.applyAwareness(presence([300, 2, { user: 'Big' }]), sender)
    expect(bystander.received).toEqual([[300]])
  })

  it('echoes of other clients’ presence (what y-websocket sends) are ignored quietly', async () => {
    const { room, lines } = await setup()
    const alice = new TestPeer('mem_alice')
    const bob = new TestPeer('mem_bob')
    enter(room, alice, bob)
    room.applyAwareness(presence([100, 3, { user: 'Alice' }]), alice)
    // Bob's client re-sends Alice's state as it received it, and an older one.
    room.applyAwareness(presence([100, 3, { user: 'Alice' }], [100, 2, { user: 'Old' }]), bob)
    expect(drops(lines, bob.id)).toEqual([])
    expect(stateOf(room, 100)).toEqual({ user: 'Alice' })

    // Alice leaves; Bob echoes her last state before he hears of it. That must not make her id
    // Bob's: when Alice comes back (newer clock), her presence is shown again.
    room.removePeer(alice)
    room.applyAwareness(presence([100, 3, { user: 'Alice' }]), bob)
    room.applyAwareness(presence([100, 3, null]), bob)
    expect(stateOf(room, 100)).toBeUndefined()
    const aliceAgain = new TestPeer('mem_alice_2nd_device')
    enter(room, aliceAgain)
    room.applyAwareness(presence([100, 4, { user: 'Alice', back: true }]), aliceAgain)
    expect(stateOf(room, 100)).toEqual({ user: 'Alice', back: true })
    expect(drops(lines, bob.id)).toEqual([])
    expect(drops(lines, aliceAgain.id)).toEqual([])
  })

  it('read-only connections (employees in the queue) are bound by the same rules', async () => {
    // The room does not know roles: ownership is per connection, whatever its access.
    const { room } = await setup()
    const champion = new TestPeer('mem_champion')
    const employee = new TestPeer('mem_employee')
    enter(room, champion, employee)
    room.applyAwareness(presence([10, 1, { user: 'Champion' }]), champion)
    room.applyAwareness(presence([20, 1, { user: 'Employee' }]), employee)
    room.applyAwareness(presence([10, 9, null]), employee)
    expect(stateOf(room, 10)).toEqual({ user: 'Champion' })
    expect(stateOf(room, 20)).toEqual({ user: 'Employee' })
  })

  it('the same member reconnecting takes its client id over; the old socket leaving keeps it', async () => {
    const { room } = await setup()
    const before = new TestPeer('mem_alice')
    const after = new TestPeer('mem_alice')
    enter(room, before, after)
    room.applyAwareness(presence([100, 1, { user: 'Alice' }]), before)
    room.applyAwareness(presence([100, 2, { user: 'Alice', back: true }]), after)
    expect(stateOf(room, 100)).toEqual({ user: 'Alice', back: true })
    room.removePeer(before)
    expect(stateOf(room, 100)).toEqual({ user: 'Alice', back: true })
    room.removePeer(after)
    expect(stateOf(room, 100)).toBeUndefined()
  })

  it('nobody may speak for the relay’s own awareness client id', async () => {
    const { room } = await setup()
    const peer = new TestPeer('mem_x')
    enter(room, peer)
    room.applyAwareness(presence([room.awareness.clientID, 100, { fake: 'relay' }]), peer)
    expect(stateOf(room, room.awareness.clientID)).toBeUndefined()
  })
})

describe('presence over a real relay', () => {
  it('an employee cannot erase or fake a champion’s presence in the queue', async () => {
    const relay = await startRelay()
    const ws = await relay.createWorkspace('Acme')
    const champion = await relay.issueToken({ workspaceId: ws, name: 'Cam', role: 'champion' })
    const other = await relay.issueToken({ workspaceId: ws, name: 'Oli', role: 'champion' })
    const employee = await relay.issueToken({ workspaceId: ws, name: 'Eve', role: 'employee' })
    const camDoc = new Y.Doc()
    const cam = provider(relay.url, ws, 'queue', champion.token, camDoc)
    const oli = provider(relay.url, ws, 'queue', other.token)
    const eve = await RawClient.connect(roomUrl(relay.url, ws, 'queue', employee.token))
    try {
      await Promise.all([synced(cam), synced(oli)])
      cam.awareness.setLocalStateField('user', { name: 'Cam' })
      await waitFor('Oli to see Cam', () => oli.awareness.getStates().get(camDoc.clientID)?.user)
      const clock = cam.awareness.meta.get(camDoc.clientID)?.clock ?? 0

      eve.send(encodeAwareness(presence([camDoc.clientID, clock + 100, null])))
      eve.send(
        encodeAwareness(presence([camDoc.clientID, clock + 101, { user: { name: 'Evil' } }])),
      )
      // Frames of one connection are handled in order and broadcast in order: once Oli sees
      // Eve's own presence, any effect of the two frames before it would have arrived too.
      eve.send(encodeAwareness(presence([4242, 1, { user: { name: 'Eve' } }])))
      await waitFor('Oli to see Eve', () => oli.awareness.getStates().get(4242))

      expect(oli.awareness.getStates().get(camDoc.clientID)).toEqual({ user: { name: 'Cam' } })
      expect(eve.closeEvent).toBeNull()
      // Only Eve's two frames were refused (one line): Cam's and Oli's clients echo each other's
      // presence all the time, which is not worth a line.
      expect(countLines(relay.logs(), /WARN dropped awareness /)).toBe(1)
      expect(relay.logs()).toMatch(
        new RegExp(`WARN dropped awareness .*member=${employee.memberId} .*owned by another`),
      )
    } finally {
      cam.destroy()
      oli.destroy()
      await eve.close()
      await relay.stop()
    }
  })
})
