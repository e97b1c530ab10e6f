import * as Y from 'yjs'
import { membersMap, putMember, workspaceMap } from '../common/doc/directory-doc'
import { roomName } from '../common/doc/rooms'
import type { TokenClaims } from '../common/model/invitation'
import type { Member, Workspace } from '../common/model/member'
import type { Logger } from './log'
import type { WorkspaceStore } from './persistence/workspace-store'
import type { RoomManager } from './rooms/room-manager'

function sameMember(value: unknown, member: Member): boolean {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    v.id === member.id &&
    v.workspaceId === member.workspaceId &&
    v.displayName === member.displayName &&
    v.role === member.role
  )
}

/**
 * The relay is the only writer of a workspace's `directory` doc: each member who connects is
 * (re)written from their verified token, so names and roles there can be trusted.
 * Unchanged entries are not rewritten, to keep the log from growing on every reconnect.
 */
export async function recordMember(
  rooms: RoomManager,
  workspace: Workspace,
  claims: TokenClaims,
  log: Logger,
  /** The relay's --public-url (short links), or null: members mint links from it. */
  publicUrl: string | null = null,
): Promise<void> {
  const member: Member = {
    id: claims.sub,
    workspaceId: claims.ws,
    displayName: claims.name,
    role: claims.role,
  }
  await rooms.with({ workspaceId: workspace.id, doc: 'directory' }, async (room) => {
    const doc = room.doc
    const info = workspaceMap(doc)
    const needsWorkspace =
      info.get('id') !== workspace.id ||
      info.get('name') !== workspace.name ||
      (info.get('publicUrl') ?? null) !== publicUrl
    const needsMember = !sameMember(membersMap(doc).get(member.id), member)
    if (!needsWorkspace && !needsMember) return
    await room.changeByRelay((d) => {
      if (needsWorkspace) {
        workspaceMap(d).set('id', workspace.id)
        workspaceMap(d).set('name', workspace.name)
        workspaceMap(d).set('publicUrl', publicUrl)
      }
      if (needsMember) putMember(d, member)
    })
    log.info('directory updated', { room: room.name, member: member.id, role: member.role })
  })
}

/**
 * Drop from each workspace's directory the members the relay no longer knows (`delete-member`
 * ran in the admin tool): their name leaves every replica at the next sync. Removed members stay
 * listed (earlier approvals still name them) until deleted.
 */
export async function pruneDirectories(
  rooms: RoomManager,
  workspaces: WorkspaceStore,
  log: Logger,
  /** Only these workspaces (default: all). */
  only?: readonly string[],
): Promise<void> {
  for (const workspace of workspaces.listWorkspaces()) {
    if (only && !only.includes(workspace.id)) continue
    await rooms.with({ workspaceId: workspace.id, doc: 'directory' }, async (room) => {
      const stale = [...membersMap(room.doc).keys()].filter(
        (id) => workspaces.getMemberRecord(id)?.workspaceId !== workspace.id,
      )
      if (stale.length === 0) return
      await room.changeByRelay((d) => {
        for (const id of stale) membersMap(d).delete(id)
      })
      // Folded at once (gc on): the stored updates that carried the entries (names, roles) go;
      // only the map keys remain, as Yjs keeps the key of a deleted entry.
      await room.compact('periodic')
      log.info('directory pruned', { room: room.name, removed: stale.length })
    })
  }
}

/**
 * At start: members deleted while the relay was stopped leave the directories now. Stored
 * directories are read without loading their rooms; only one that names a forgotten member is
 * loaded and pruned.
 */
export async function pruneStoredDirectories(
  rooms: RoomManager,
  workspaces: WorkspaceStore,
  log: Logger,
): Promise<void> {
  const stale: string[] = []
  for (const workspace of workspaces.listWorkspaces()) {
    const stored = await rooms.store.load(roomName(workspace.id, 'directory'))
    if (stored.lastSeq === 0) continue
    const doc = new Y.Doc()
    try {
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const update of stored.updates) Y.applyUpdate(doc, update)
      const known = (id: string) => workspaces.getMemberRecord(id)?.workspaceId === workspace.id
      if ([...membersMap(doc).keys()].some((id) => !known(id))) stale.push(workspace.id)
    } finally {
      doc.destroy()
    }
  }
  if (stale.length > 0) await pruneDirectories(rooms, workspaces, log, stale)
}
