import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import {
  encodeAwareness,
  encodeQueryAwareness,
  encodeSync,
  SYNC_STEP1,
  SYNC_UPDATE,
} from '../../sync-server/protocol/messages'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { countLines, provider, RawClient, roomUrl, synced } from './support'

const MAX_BYTES = 64 * 1024
const SEED = 20_261_124

type Offender = { category: string; frames: (Uint8Array | string)[]; expectedCode: number }

// Valid messages, used as prefixes (a connection that behaved until it did not) and to truncate.
const sample = new Y.Doc()
sample.getText('t').insert(0, 'hello, relay')
const sampleAwareness = new Awareness(sample)
sampleAwareness.setLocalState({ user: { name: 'probe' } })
const VALID = [
  encodeSync(SYNC_STEP1, Y.encodeStateVector(sample)),
  encodeSync(SYNC_UPDATE, Y.encodeStateAsUpdate(sample)),
  encodeAwareness(encodeAwarenessUpdate(sampleAwareness, [sample.clientID])),
  encodeQueryAwareness(),
]
const SAFE_PREFIXES = [VALID[0], VALID[2], VALID[3]] as Uint8Array[]
sampleAwareness.destroy()

function message(...parts: ((e: encoding.Encoder) => void)[]): Uint8Array {
  const e = encoding.createEncoder()
  for (const part of parts) part(e)
  return encoding.toUint8Array(e)
}
const uint = (n: number) => (e: encoding.Encoder) => encoding.writeVarUint(e, n)
const bytes = (b: Uint8Array) => (e: encoding.Encoder) => encoding.writeVarUint8Array(e, b)
const raw = (b: Uint8Array) => (e: encoding.Encoder) => encoding.writeUint8Array(e, b)

// Oracles independent of the relay's code: what Yjs / y-protocols themselves refuse.
function throws(fn: () => void): boolean {
  try {
    fn()
    return false
  } catch {
    return true
  }
}
/** Garbage: Yjs can neither decode it nor apply it to a document. */
function yjsRejects(update: Uint8Array): boolean {
  return throws(() => Y.decodeUpdate(update)) && throws(() => Y.applyUpdate(new Y.Doc(), update))
}
function stateVectorRejected(sv: Uint8Array): boolean {
  try {
    Y.decodeStateVector(sv)
    return false
  } catch {
    return true
  }
}
function awarenessRejects(update: Uint8Array): boolean {
  const awareness = new Awareness(new Y.Doc())
  try {
    applyAwarenessUpdate(awareness, update, null)
    return false
  } catch {
    return true
  } finally {
    awareness.destroy()
  }
}

const prefix = fc.array(fc.constantFrom(...SAFE_PREFIXES), { maxLength: 2 })
const noise = fc.uint8Array({ minLength: 0, maxLength: 64 })

const truncated = fc.tuple(prefix, fc.constantFrom(...VALID), fc.nat(10_000)).map(
  ([pre, valid, cut]): Offender => ({
    category: 'truncated',
    // Every strict prefix, the empty frame included: all of them end inside a length-prefixed part.
    frames: [...pre, valid.subarray(0, cut % valid.length)],
    expectedCode: 4400,
  }),
)

const badVarint = fc
  .tuple(prefix, fc.integer({ min: 1, max: 16 }), fc.constantFrom<number[]>([], [0], [0, 0], [1]))
  .map(
    ([pre, n, lead]): Offender => ({
      category: 'bad-varint',
      // A varint whose continuation bit never ends, at the message type, sync type or length.
      frames: [...pre, Uint8Array.from([...lead, ...new Array<number>(n).fill(0xff)])],
      expectedCode: 4400,
    }),
  )

const wrongType = fc
  .tuple(
    prefix,
    fc.oneof(fc.constant(2), fc.integer({ min: 4, max: 1_000_000 })),
    fc.integer({ min: 3, max: 100_000 }),
    fc.boolean(),
    noise,
  )
  .map(
    ([pre, type, syncType, atSync, rest]): Offender => ({
      category: 'wrong-type',
      frames: [
        ...pre,
        atSync ? message(uint(0), uint(syncType), raw(rest)) : message(uint(type), raw(rest)),
      ],
      expectedCode: 4400,
    }),
  )

const trailing = fc
  .tuple(prefix, fc.constantFrom(...VALID), fc.uint8Array({ minLength: 1, maxLength: 32 }))
  .map(
    ([pre, valid, extra]): Offender => ({
      category: 'trailing-bytes',
      frames: [...pre, message(raw(valid), raw(extra))],
      expectedCode: 4400,
    }),
  )

const validUpdate = Y.encodeStateAsUpdate(sample)
const garbageUpdate = fc
  .tuple(
    prefix,
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      // A real update with some bytes changed: gets deeper into the decoder than pure noise.
      fc
        .array(fc.tuple(fc.nat(validUpdate.length - 1), fc.nat(255)), {
          minLength: 1,
          maxLength: 6,
        })
        .map((edits) => {
          const copy = Uint8Array.from(validUpdate)
          for (const [at, value] of edits) copy[at] = value
          return copy
        }),
    ),
    fc.boolean(),
  )
  .filter(([, update]) => yjsRejects(update))
  .map(
    ([pre, update, asStep2]): Offender => ({
      category: 'garbage-yjs-update',
      frames: [...pre, message(uint(0), uint(asStep2 ? 1 : 2), bytes(update))],
      expectedCode: 4400,
    }),
  )

const garbageStateVector = fc
  .tuple(prefix, fc.uint8Array({ minLength: 1, maxLength: 40 }))
  .filter(([, sv]) => stateVectorRejected(sv))
  .map(
    ([pre, sv]): Offender => ({
      category: 'garbage-state-vector',
      frames: [...pre, message(uint(0), uint(0), bytes(sv))],
      expectedCode: 4400,
    }),
  )

const garbageAwareness = fc
  .tuple(prefix, fc.uint8Array({ minLength: 1, maxLength: 80 }))
  .filter(([, update]) => awarenessRejects(update))
  .map(
    ([pre, update]): Offender => ({
      category: 'garbage-awareness',
      frames: [...pre, message(uint(1), bytes(update))],
      expectedCode: 4400,
    }),
  )

const oversized = fc
  .tuple(prefix, fc.integer({ min: MAX_BYTES + 1, max: MAX_BYTES * 3 }), fc.nat(255))
  .map(
    ([pre, size, fill]): Offender => ({
      category: 'oversized',
      frames: [...pre, new Uint8Array(size).fill(fill)],
      expectedCode: 1009,
    }),
  )

const textFrame = fc.tuple(prefix, fc.string({ maxLength: 100 })).map(
  ([pre, text]): Offender => ({
    category: 'text-frame',
    frames: [...pre, text],
    expectedCode: 1003,
  }),
)

function offenders(): Offender[] {
  const take = <T>(arb: fc.Arbitrary<T>, n: number, seedOffset: number) =>
    fc.sample(arb, { numRuns: n, seed: SEED + seedOffset })
  return [
    ...take(truncated, 200, 1),
    ...take(badVarint, 120, 2),
    ...take(wrongType, 150, 3),
    ...take(trailing, 100, 4),
    ...take(garbageUpdate, 250, 5),
    ...take(garbageStateVector, 60, 6),
    ...take(garbageAwareness, 80, 7),
    ...take(oversized, 30, 8),
    ...take(textFrame, 60, 9),
  ]
}

async function pool<T>(
  items: T[],
  width: number,
  run: (item: T, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async (_, lane) => {
      while (next < items.length) {
        const item = items[next++] as T
        await run(item, lane)
      }
    }),
  )
}

let relay: RelayProcess

beforeAll(async () => {
  relay = await startRelay({ args: ['--max-message-bytes', String(MAX_BYTES)] })
})
afterAll(async () => {
  await relay?.stop()
})

describe('bad input', () => {
  it('closes only the offending connections, with a clear code and a log line, and keeps serving', async () => {
    const ws = await relay.createWorkspace('Acme')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'Chris', role: 'champion' })
    const url = roomUrl(relay.url, ws, 'queue', token)
    // One member per lane: the relay caps live connections per member.
    const laneUrls = await Promise.all(
      Array.from({ length: 16 }, async (_, i) =>
        roomUrl(
          relay.url,
          ws,
          'queue',
          (await relay.issueToken({ workspaceId: ws, name: `Offender ${i}`, role: 'champion' }))
            .token,
        ),
      ),
    )

    const bystander = provider(relay.url, ws, 'queue', token)
    const writer = provider(relay.url, ws, 'queue', token)
    let bystanderDrops = 0
    bystander.on('connection-close', () => {
      bystanderDrops++
    })
    await Promise.all([synced(bystander), synced(writer)])

    const cases = offenders()
    expect(cases.length).toBeGreaterThanOrEqual(1000)
    const wrong: string[] = []
    let written = 0
    await pool(cases, laneUrls.length, async (offender, lane) => {
      const client = await RawClient.connect(laneUrls[lane] as string, { sendLocalUpdates: false })
      for (const frame of offender.frames) client.send(frame)
      const { code, reason } = await client.closed
      if (code !== offender.expectedCode) {
        wrong.push(
          `${offender.category}: got ${code} "${reason}", expected ${offender.expectedCode}`,
        )
      }
      // Real edits keep flowing between the honest clients during the barrage.
      writer.doc.getArray<number>('log').push([written++])
    })
    expect(wrong.slice(0, 10)).toEqual([])

    // The bystander got every honest edit and was never disconnected.
    await waitFor(
      'bystander to receive all edits',
      () => bystander.doc.getArray('log').length === written,
    )
    writer.doc.getText('after').insert(0, 'still syncing')
    await waitFor('final edit', () => bystander.doc.getText('after').toString() === 'still syncing')
    expect(bystanderDrops).toBe(0)
    expect(bystander.wsconnected).toBe(true)

    // One log line per offending connection, with its close code.
    const logs = relay.logs()
    for (const code of [4400, 1003, 1009]) {
      const expected = cases.filter((c) => c.expectedCode === code).length
      expect(countLines(logs, new RegExp(`closed connection for bad input .* code=${code} `))).toBe(
        expected,
      )
    }
    expect(logs).toMatch(/closed connection for bad input .*code=4400 reason="invalid Yjs update/)

    // Nothing broke the relay itself.
    const health = (await (await fetch(`${relay.httpUrl}/health`)).json()) as {
      ok: boolean
      connections: number
    }
    expect(health.ok).toBe(true)
    expect(health.connections).toBe(2)
    const fresh = await RawClient.connect(url)
    await fresh.sync()
    expect(fresh.doc.getArray('log').length).toBe(written)
    await fresh.close()
    bystander.destroy()
    writer.destroy()
  })
})
