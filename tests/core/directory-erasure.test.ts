import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { eraseDeletedMembers, membersMap, putMember } from '../../common/doc/directory-doc'
import type { Member } from '../../common/model/member'

/**
 * Issue 8.13: Yjs keeps a deleted map entry's key, so a deleted member's id stayed in every
 * encoding of the directory. eraseDeletedMembers replaces those entries' items by GC structs;
 * the document must stay the same document (state vector, delete set, other entries) for the
 * replicas that still hold the old history.
 */
const member = (id: string, displayName: string): Member => ({
  id,
  workspaceId: 'ws_acme',
  displayName,
  role: 'employee',
})

function has(update: Uint8Array, text: string): boolean {
  return Buffer.from(update).includes(Buffer.from(text))
}

describe('eraseDeletedMembers', () => {
  it('removes a deleted entry key from the encoding and keeps the document compatible', () => {
    const relay = new Y.Doc()
    putMember(relay, member('mem_gone_1234', 'Gone'))
    putMember(relay, member('mem_kept_1234', 'Kept'))
    putMember(relay, member('mem_gone_1234', 'Gone Renamed'))
    // A replica that synced before the deletion.
    const replica = new Y.Doc()
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(relay))
    relay.transact(() => membersMap(relay).delete('mem_gone_1234'))
    expect(has(Y.encodeStateAsUpdate(relay), 'mem_gone_1234')).toBe(true)

    const before = Y.encodeStateVector(relay)
    expect(eraseDeletedMembers(relay)).toEqual(['mem_gone_1234'])
    expect(eraseDeletedMembers(relay)).toEqual([])
    const erased = Y.encodeStateAsUpdate(relay)
    expect(has(erased, 'mem_gone_1234')).toBe(false)
    expect(Y.encodeStateVector(relay)).toEqual(before)

    // A fresh replica loads it whole; the old replica gets the deletion and then erases too.
    const fresh = new Y.Doc()
    Y.applyUpdate(fresh, erased)
    expect(fresh.store.pendingStructs).toBeNull()
    expect([...membersMap(fresh).keys()]).toEqual(['mem_kept_1234'])
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(relay, Y.encodeStateVector(replica)))
    expect([...membersMap(replica).keys()]).toEqual(['mem_kept_1234'])
    expect(eraseDeletedMembers(replica)).toEqual(['mem_gone_1234'])
    expect(has(Y.encodeStateAsUpdate(replica), 'mem_gone_1234')).toBe(false)

    // Later relay writes reach both; the old replica's own history adds nothing back.
    putMember(relay, member('mem_new_12345', 'New'))
    for (const doc of [fresh, replica])
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(relay, Y.encodeStateVector(doc)))
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(replica, Y.encodeStateVector(fresh)))
    for (const doc of [fresh, replica]) {
      expect([...membersMap(doc).keys()].sort()).toEqual(['mem_kept_1234', 'mem_new_12345'])
      expect(has(Y.encodeStateAsUpdate(doc), 'mem_gone_1234')).toBe(false)
    }
  })
})
