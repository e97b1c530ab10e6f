import { Id } from '../model/ids'
import { canCurate, type Role } from '../model/member'

/**
 * The documents of a workspace. Each is small, has one purpose and one set of readers (a
 * document is the unit of access: whoever syncs it holds all of it, offline, forever):
 * - `queue`: published items and campaigns, which every member reads; curators write it.
 * - `curation`: drafts, proposals awaiting review, moderation, approved-but-unpublished and
 *   archived items. Curators only: employees cannot even connect to it.
 * - `directory`: the workspace's name and members, written only by the relay.
 * - `board`: the team's results (common/model/board.ts), written only by the relay from its
 *   share, click and conversion tables; it holds no data about a member who did not opt in.
 */
export const DOC_NAMES = ['queue', 'curation', 'directory', 'board'] as const
export type DocName = (typeof DOC_NAMES)[number]

/** `none`: the relay refuses the connection (403), the core never syncs or stores the doc. */
export type Access = 'write' | 'read' | 'none'

/** What a role may do to a document; the relay enforces it, the UI only mirrors it. */
export function accessFor(doc: DocName, role: Role): Access {
  switch (doc) {
    case 'queue':
      return canCurate(role) ? 'write' : 'read'
    case 'curation':
      return canCurate(role) ? 'write' : 'none'
    case 'directory':
    case 'board':
      return 'read'
  }
}

/** The documents a role syncs and keeps on its device. */
export function docsFor(role: Role): DocName[] {
  return DOC_NAMES.filter((doc) => accessFor(doc, role) !== 'none')
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
