import * as Y from 'yjs'
import { type Member, Member as MemberSchema } from '../model/member'

/**
 * The `directory` document: `workspace` (Y.Map with `id`, `name`) and
 * `members` (Y.Map<memberId, plain Member>). Only the relay writes it.
 */
export function membersMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('members')
}

export function workspaceMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('workspace')
}

export function putMember(doc: Y.Doc, member: Member): void {
  membersMap(doc).set(member.id, { ...member })
}

export function readMembers(doc: Y.Doc): Member[] {
  const members: Member[] = []
  for (const value of membersMap(doc).values()) {
    const parsed = MemberSchema.safeParse(value)
    if (parsed.success) members.push(parsed.data)
  }
  return members
}

export function readWorkspaceName(doc: Y.Doc): string | null {
  const name = workspaceMap(doc).get('name')
  return typeof name === 'string' ? name : null
}

/** The relay's public address for tracked short links (`<url>/s/<code>`), or null: direct links. */
export function readPublicUrl(doc: Y.Doc): string | null {
  const url = workspaceMap(doc).get('publicUrl')
  return typeof url === 'string' && /^https?:\/\//.test(url) ? url : null
}

/**
 * Yjs keeps the key of a deleted map entry (the tombstone item carries it), so a deleted member's
 * id would stay in every encoding of the directory. Replace each deleted entry's items by GC
 * structs of the same ids and lengths: the state vector and delete set are unchanged, the key is
 * gone from this doc and from what it encodes from now on. Safe in the directory only: the relay
 * is its one writer, and it writes from a doc where the key is gone (a new entry under that id
 * starts a fresh chain), while clients' writes to it are dropped. Returns the keys erased.
 */
export function eraseDeletedMembers(doc: Y.Doc): string[] {
  const map = membersMap(doc)
  const erased: string[] = []
  for (const [key, last] of [...map._map]) {
    if (!last.deleted) continue
    for (let item: Y.Item | null = last; item !== null; item = item.left as Y.Item | null) {
      const structs = doc.store.clients.get(item.id.client)
      if (!structs) continue
      const index = Y.findIndexSS(structs, item.id.clock)
      // Only the item itself: a map entry's earlier values are its `left` chain (same key).
      if (structs[index] === item) structs[index] = new Y.GC(item.id, item.length)
    }
    map._map.delete(key)
    erased.push(key)
  }
  return erased
}
