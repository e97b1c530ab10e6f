import { Id } from '../model/ids'
import { canCurate, type Role } from '../model/member'

/**
 * The documents of a workspace. Each is small and has one purpose:
 * - `queue`: curated items and campaigns, written by champions and admins.
 * - `directory`: the workspace's name and members, written only by the relay.
 */
export const DOC_NAMES = ['queue', 'directory'] as const
export type DocName = (typeof DOC_NAMES)[number]

export type Access = 'write' | 'read'

/** What a role may do to a document; the relay enforces it, the UI only mirrors it. */
export function accessFor(doc: DocName, role: Role): Access {
  switch (doc) {
    case 'queue':
      return canCurate(role) ? 'write' : 'read'
    case 'directory':
      return 'read'
  }
}

/** Rooms on the relay are `<workspaceId>/<docName>`, which is also the WebSocket path. */
export function roomName(workspaceId: string, doc: DocName): string {
  return `${workspaceId}/${doc}`
}

export type RoomRef = { workspaceId: string; doc: DocName }

export function parseRoomName(room: string): RoomRef | null {
  const [workspaceId, doc, ...rest] = room.split('/')
  if (rest.length > 0 || workspaceId === undefined || doc === undefined) return null
  if (!Id.safeParse(workspaceId).success) return null
  if (!(DOC_NAMES as readonly string[]).includes(doc)) return null
  return { workspaceId, doc: doc as DocName }
}
