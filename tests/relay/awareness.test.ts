import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { Access } from '../../common/doc/rooms'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import {
  encodeAwareness,
  encodeQueryAwareness,
  MESSAGE_AWARENESS,
  ProtocolError,
} from '../../sync-server/protocol/messages'
import { presenceName } from '../../sync-server/protocol/payloads'
import type { Peer, Room } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { tempDir } from '../helpers/process'
import { startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { countLines, provider, RawClient, roomUrl, synced } from './support'

/** An awareness update written by hand: `count, (clientID, clock, JSON state)*`. */
function presence(...entries: [clientId: number, clock: number, state: unknown][]): Uint8Array {
  return presenceText(
    ...entries.map(([clientId, clock, state]): [number, number, string] => [
      clientId,
      clock,
      JSON.stringify(state),
    ]),
  )
}

/** The same with each state's JSON text as given, so tests can send text that is not JSON. */
function presenceText(...entries: [clientId: number, clock: number, json: string][]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, entries.length)
  for (const [clientId, clock, json] of entries) {
    encoding.writeVarUint(e, clientId)
    encoding.writeVarUint(e, clock)
    encoding.writeVarString(e, json)
  }
  return encoding.toUint8Array(e)
}

/**
 * A peer that records the client ids of every awareness frame it is sent. A writer by default
 * (presence is a writers' affair), named after its member unless told otherwise.
 */
class TestPeer implements Peer {
  static #next = 1
  readonly id = TestPeer.#next++
  readonly member: string
  readonly access: Access
  readonly memberName: string
  readonly received: number[][] = []
  constructor(member: string, opts: { access?: Access; memberName?: string } = {}) {
    this.member = member
    this.access = opts.access ?? 'write'
    this.memberName = opts.memberName ?? member
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
  const db = openDatabase(tempDir('porte-voix-awareness-'))
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

  it('read-only connections (employees in the queue) publish no presence but receive everyone’s', async () => {
    // Presence shows who edits what to the people editing: only connections that may write the
    // doc take part. A reader's own presence and its attempts on others' are all dropped.
    const { room, lines } = await setup()
    const champion = new TestPeer('mem_champion')
    const employee = new TestPeer('mem_employee', { access: 'read' })
    enter(room, champion, employee)
    room.applyAwareness(presence([10, 1, { user: 'Champion' }]), champion)
    room.applyAwareness(presence([20, 1, { user: 'Employee' }]), employee)
    room.applyAwareness(presence([10, 9, null]), employee)
    expect(stateOf(room, 10)).toEqual({ user: 'Champion' })
    expect(stateOf(room, 20)).toBeUndefined()
    // Nothing of the reader's reached the champion; the reader got the champion's presence.
    expect(champion.received).toEqual([])
    expect(employee.received).toEqual([[10]])
    // One line per connection per interval, however many frames (a y-protocols client renews
    // its presence every 15 s).
    for (let clock = 2; clock < 50; clock++) {
      room.applyAwareness(presence([20, clock, { user: 'Employee', n: clock }]), employee)
    }
    expect(stateOf(room, 20)).toBeUndefined()
    expect(drops(lines, employee.id)).toHaveLength(1)
    expect(drops(lines, employee.id)[0]).toContain('reason="read-only connection"')
    expect(drops(lines, employee.id)[0]).toContain('member=mem_employee')

    // Its client echoes the presence it receives, as y-websocket does: not an attempt, not logged.
    const quiet = new TestPeer('mem_reader', { access: 'read' })
    enter(room, quiet)
    room.applyAwareness(presence([10, 1, { user: 'Champion' }]), quiet)
    expect(drops(lines, quiet.id)).toEqual([])

    // A peer that does not say what it may do is a reader.
    const unknown: Peer = {
      id: 99_999,
      member: 'mem_unknown',
      memberName: 'mem_unknown',
      send() {},
    }
    enter(room, unknown)
    room.applyAwareness(presence([30, 1, { cursor: 1 }]), unknown)
    expect(stateOf(room, 30)).toBeUndefined()
    expect(drops(lines, unknown.id)[0]).toContain('reason="read-only connection"')
  })

  it('presence may show only the token’s name as user.name', async () => {
    const { room, lines } = await setup()
    const alice = new TestPeer('mem_alice', { memberName: 'Alice Martin' })
    const mallory = new TestPeer('mem_mallory', { memberName: 'Mallory' })
    const bystander = new TestPeer('mem_bob', { memberName: 'Bob' })
    enter(room, alice, mallory, bystander)

    // What a studio window announces: its session's display name, which is the token's name.
    const aliceState = {
      user: { name: 'Alice Martin', color: '#d9480f', memberId: 'mem_alice' },
      cursor: { anchor: 1, head: 4 },
    }
    room.applyAwareness(presence([100, 1, aliceState]), alice)
    expect(stateOf(room, 100)).toEqual(aliceState)
    expect(bystander.received).toEqual([[100]])

    // Another champion posing as Alice, on a fresh id, with fake cursors: dropped.
    room.applyAwareness(
      presence([200, 1, { ...aliceState, cursor: { anchor: 9, head: 9 } }]),
      mallory,
    )
    expect(stateOf(room, 200)).toBeUndefined()
    expect(drops(lines, mallory.id)).toHaveLength(1)
    expect(drops(lines, mallory.id)[0]).toContain('reason="user.name is not the token name"')
    // Near misses and other types are not the token's name either.
    const fakes: unknown[] = ['mallory', 'Mallory ', '', null, 7, ['Mallory'], { first: 'Mallory' }]
    fakes.forEach((name, i) => {
      room.applyAwareness(presence([200, 2 + i, { user: { name } }]), mallory)
    })
    expect(stateOf(room, 200)).toBeUndefined()
    // Presence that names nobody is fine: no `user`, or a `user` without a name.
    room.applyAwareness(presence([200, 20, { cursor: { anchor: 2, head: 2 } }]), mallory)
    expect(stateOf(room, 200)).toEqual({ cursor: { anchor: 2, head: 2 } })
    room.applyAwareness(presence([200, 21, { user: { color: '#2b8a3e' } }]), mallory)
    expect(stateOf(room, 200)).toEqual({ user: { color: '#2b8a3e' } })
    // Mallory's own name is fine; renaming an id it owns to someone else's is refused like any.
    room.applyAwareness(presence([200, 22, { user: { name: 'Mallory' } }]), mallory)
    expect(stateOf(room, 200)).toEqual({ user: { name: 'Mallory' } })
    room.applyAwareness(presence([200, 23, { user: { name: 'Alice Martin' } }]), mallory)
    expect(stateOf(room, 200)).toEqual({ user: { name: 'Mallory' } })
    // Mixed frames keep the entries that pass.
    room.applyAwareness(
      presence(
        [201, 1, { user: { name: 'Alice Martin' } }],
        [202, 1, { user: { name: 'Mallory' } }],
      ),
      mallory,
    )
    expect(stateOf(room, 201)).toBeUndefined()
    expect(stateOf(room, 202)).toEqual({ user: { name: 'Mallory' } })
    // Still one line for all of it (rate-limited per connection).
    expect(drops(lines, mallory.id)).toHaveLength(1)

    // Echoes of Alice's state from other clients carry her name: ignored quietly, not refused.
    room.applyAwareness(presence([100, 1, aliceState]), bystander)
    expect(drops(lines, bystander.id)).toEqual([])
    expect(stateOf(room, 100)).toEqual(aliceState)

    // A peer that has no token name may only publish presence that names nobody.
    const anonymous: Peer = { id: 99_998, member: 'mem_anon', access: 'write', send() {} }
    enter(room, anonymous)
    room.applyAwareness(presence([300, 1, { user: { name: 'mem_anon' } }]), anonymous)
    expect(stateOf(room, 300)).toBeUndefined()
    room.applyAwareness(presence([300, 2, { cursor: 1 }]), anonymous)
    expect(stateOf(room, 300)).toEqual({ cursor: 1 })
  })

  it('presence that is not JSON is refused whole and applies nothing', async () => {
    const { room } = await setup()
    const alice = new TestPeer('mem_alice', { memberName: 'Alice' })
    const bystander = new TestPeer('mem_bob')
    enter(room, alice, bystander)
    // A good entry before the bad one must not be applied either: the frame is decoded in full
    // first, and the connection closes it with 4400 (see bad-input.test.ts).
    const frame = presenceText([100, 1, '{"user":{"name":"Alice"}}'], [101, 1, '{"user":{"name":'])
    expect(() => room.applyAwareness(frame, alice)).toThrow(ProtocolError)
    expect(stateOf(room, 100)).toBeUndefined()
    expect(stateOf(room, 101)).toBeUndefined()
    expect(bystander.received).toEqual([])
  })

  it('reads user.name from untrusted JSON without assuming its shape', () => {
    const parse = (json: string): unknown => JSON.parse(json)
    for (const nobody of [
      null,
      'Alice',
      7,
      [],
      [{ user: { name: 'Alice' } }],
      {},
      { user: null },
      { user: 'Alice' },
      { user: ['Alice'] },
      { user: {} },
      { user: { color: 'red' } },
      // A JSON "__proto__" key is an own property, never the prototype: it names nobody.
      parse('{"user":{"__proto__":{"name":"Alice"}}}'),
      parse('{"__proto__":{"user":{"name":"Alice"}}}'),
    ]) {
      expect(presenceName(nobody)).toEqual({ named: false })
    }
    expect(presenceName({ user: { name: 'Alice' } })).toEqual({ named: true, name: 'Alice' })
    expect(presenceName({ user: { name: null } })).toEqual({ named: true, name: null })
    expect(presenceName({ user: { name: { toString: 'x' } } })).toEqual({
      named: true,
      name: { toString: 'x' },
    })
    // Nothing of it leaked into Object.prototype.
    expect(({} as Record<string, unknown>).user).toBeUndefined()
    expect(({} as Record<string, unknown>).name).toBeUndefined()
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
  it('neither an employee nor another champion can erase, fake or impersonate a champion’s presence', async () => {
    const relay = await startRelay()
    const ws = await relay.createWorkspace('Acme')
    const champion = await relay.issueToken({ workspaceId: ws, name: 'Cam', role: 'champion' })
    const other = await relay.issueToken({ workspaceId: ws, name: 'Oli', role: 'champion' })
    const employee = await relay.issueToken({ workspaceId: ws, name: 'Eve', role: 'employee' })
    const rogue = await relay.issueToken({ workspaceId: ws, name: 'Mal', role: 'champion' })
    const camDoc = new Y.Doc()
    const cam = provider(relay.url, ws, 'queue', champion.token, camDoc)
    const oli = provider(relay.url, ws, 'queue', other.token)
    const eve = await RawClient.connect(roomUrl(relay.url, ws, 'queue', employee.token))
    const mal = await RawClient.connect(roomUrl(relay.url, ws, 'queue', rogue.token))
    try {
      await Promise.all([synced(cam), synced(oli)])
      cam.awareness.setLocalStateField('user', { name: 'Cam' })
      await waitFor('Oli to see Cam', () => oli.awareness.getStates().get(camDoc.clientID)?.user)
      const clock = cam.awareness.meta.get(camDoc.clientID)?.clock ?? 0

      // The employee (read-only): erase Cam, overwrite Cam, and announce herself under her own
      // name. All three are dropped: readers publish no presence at all.
      eve.send(encodeAwareness(presence([camDoc.clientID, clock + 100, null])))
      eve.send(
        encodeAwareness(presence([camDoc.clientID, clock + 101, { user: { name: 'Evil' } }])),
      )
      eve.send(encodeAwareness(presence([4242, 1, { user: { name: 'Eve' } }])))
      // Frames of one connection are handled in order: once her sync step 1 is answered, the
      // relay has dealt with the three before it (and broadcast whatever it would have).
      await eve.sync()

      // Another champion (may write): erase and overwrite Cam, then pose as Cam on its own id.
      mal.send(encodeAwareness(presence([camDoc.clientID, clock + 200, null])))
      mal.send(encodeAwareness(presence([camDoc.clientID, clock + 201, { user: { name: 'Mal' } }])))
      mal.send(encodeAwareness(presence([5151, 1, { user: { name: 'Cam' }, cursor: 1 }])))
      // Its presence under its own name goes through. Frames are broadcast in order: once Oli
      // sees it, any effect of the frames before it (Eve's included) would have arrived too.
      mal.send(encodeAwareness(presence([5152, 1, { user: { name: 'Mal' } }])))
      await waitFor('Oli to see Mal', () => oli.awareness.getStates().get(5152))

      expect(oli.awareness.getStates().get(camDoc.clientID)).toEqual({ user: { name: 'Cam' } })
      expect(oli.awareness.getStates().has(4242)).toBe(false)
      expect(oli.awareness.getStates().has(5151)).toBe(false)
      expect(eve.closeEvent).toBeNull()
      expect(mal.closeEvent).toBeNull()
      // The employee still sees everyone's presence, pushed and on request.
      expect(eve.presence.get(camDoc.clientID)).toEqual({ user: { name: 'Cam' } })
      await waitFor('Eve to see Mal', () => eve.presence.get(5152))
      const framesBefore = eve.awarenessFrames
      eve.presence.clear()
      eve.send(encodeQueryAwareness())
      await waitFor('answer to query-awareness', () => eve.awarenessFrames > framesBefore)
      expect(eve.presence.get(camDoc.clientID)).toEqual({ user: { name: 'Cam' } })
      expect(eve.presence.has(4242)).toBe(false)

      // One line per offending connection (rate-limited): Cam's and Oli's clients echo each
      // other's presence all the time, which is not worth a line.
      expect(countLines(relay.logs(), /WARN dropped awareness /)).toBe(2)
      expect(relay.logs()).toMatch(
        new RegExp(`WARN dropped awareness .*member=${employee.memberId} .*read-only connection`),
      )
      expect(relay.logs()).toMatch(
        new RegExp(`WARN dropped awareness .*member=${rogue.memberId} .*owned by another`),
      )
    } finally {
      cam.destroy()
      oli.destroy()
      await eve.close()
      await mal.close()
      await relay.stop()
    }
  })
})
