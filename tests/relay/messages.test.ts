import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import {
  decodeClientMessage,
  encodeSync,
  MESSAGE_SYNC,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
} from '../../sync-server/protocol/messages'

/** What y-protocols (the real client's code) writes for the same sync message. */
function reference(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_SYNC)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

describe('sync frames', () => {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, 'hello, relay')
  const stateVector = Y.encodeStateVector(doc)
  const update = Y.encodeStateAsUpdate(doc)

  it('one encoder writes step 1, step 2 and update byte for byte like y-protocols', () => {
    expect(encodeSync(SYNC_STEP1, stateVector)).toEqual(
      reference((e) => syncProtocol.writeSyncStep1(e, doc)),
    )
    expect(encodeSync(SYNC_STEP2, update)).toEqual(
      reference((e) => syncProtocol.writeSyncStep2(e, doc)),
    )
    expect(encodeSync(SYNC_UPDATE, update)).toEqual(
      reference((e) => syncProtocol.writeUpdate(e, update)),
    )
  })

  it('round-trips through the relay decoder and a y-protocols reader', () => {
    expect(decodeClientMessage(encodeSync(SYNC_STEP1, stateVector))).toEqual({
      kind: 'sync-step1',
      stateVector,
    })
    expect(decodeClientMessage(encodeSync(SYNC_STEP2, update))).toEqual({
      kind: 'sync-step2',
      update,
    })
    expect(decodeClientMessage(encodeSync(SYNC_UPDATE, update))).toEqual({
      kind: 'sync-update',
      update,
    })

    // A fresh doc reading the step 2 the relay would send ends up with the same content.
    const reader = new Y.Doc()
    const decoder = decoding.createDecoder(encodeSync(SYNC_STEP2, update))
    expect(decoding.readVarUint(decoder)).toBe(MESSAGE_SYNC)
    const answer = encoding.createEncoder()
    syncProtocol.readSyncMessage(decoder, answer, reader, null)
    expect(reader.getText('t').toString()).toBe('hello, relay')
  })
})
