import type * as Y from 'yjs'
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
