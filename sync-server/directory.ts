import * as Y from 'yjs'
import { setHistoryGeneration } from '../common/doc/curation-doc'
import {
  eraseDeletedMembers,
  membersMap,
  putMember,
  workspaceMap,
} from '../common/doc/directory-doc'
import { itemsMap } from '../common/doc/queue-doc'
import { type DocName, roomName } from '../common/doc/rooms'
import { newId } from '../common/model/ids'
import type { TokenClaims } from '../common/model/invitation'
import { DELETED_MEMBER, type Member, type Workspace } from '../common/model/member'
import type { Logger } from './log'
import type { WorkspaceStore } from './persistence/workspace-store'
import type { RoomManager } from './rooms/room-manager'

/** The directory lacks the workspace's entry (id, name, public URL) as the relay writes it. */
function workspaceEntryStale(doc: Y.Doc, workspace: Workspace, publicUrl: string | null): boolean {
  const info = workspaceMap(doc)
  return (
    info.get('id') !== workspace.id ||
    info.get('name') !== workspace.name ||
    (info.get('publicUrl') ?? null) !== publicUrl
  )
}

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
 * The members of one workspace who connect within DIRECTORY_BATCH_MS (or the readers' merge
 * interval, if longer) are written in one change (one update, one append, one log line): a
 * connect burst wrote a directory update per member, and batching one event-loop turn only
 * merged ~3 of 1,000 connects each (issue 11.3).
 */
/** How long a member's directory entry may wait for others connecting at the same time, at least. */
const DIRECTORY_BATCH_MS = 50

export class DirectoryRecorder {
  readonly #rooms: RoomManager
  readonly #log: Logger
  readonly #publicUrl: string | null
  /** Per workspace: the latest claims of each member waiting for this turn's write. */
  readonly #pending = new Map<string, PendingWrite>()
  readonly #batchMs: number

  constructor(
    rooms: RoomManager,
    log: Logger,
    /** The relay's --public-url (short links), or null: members mint links from it. */
    publicUrl: string | null = null,
    /** The relay's --reader-fanout-ms: read-only peers get a room's updates merged this often. */
    readerFanoutMs = 0,
  ) {
    this.#rooms = rooms
    this.#log = log
    this.#publicUrl = publicUrl
    // Every peer of a directory is a reader (the relay is its only writer), sent its changes
    // merged over readerFanoutMs. A batch per readerFanoutMs delays a new member: the room's
    // reader timer starts at the first pending change, so others' directories show it up to
    // ~2 × readerFanoutMs after its connect (2 s by default; ~1.05 s with the earlier 50 ms
    // batches; review 2, D1). Writing more often did cost: each write of a connect burst went
    // to every reader at the next employee's connect (a reader's
    // sync step 2 sends the pending merge to the others, Room.diffFor) and the directory was
    // encoded again for the next connect (relay-scale connect-core: 0.95–0.99 → 0.79–0.85 ms
    // per employee opening queue, directory and board; issue 11.3). Not while the workspace's
    // own entry is missing: cores mint short links from its public URL (see #soon).
    this.#batchMs = Math.max(DIRECTORY_BATCH_MS, readerFanoutMs)
  }

  /**
   * The directory is not known to hold the workspace's entry (not loaded, or a workspace's first
   * member): the batch is written after DIRECTORY_BATCH_MS, so that a core syncing its queue and
   * sharing at once already has the public URL its short links are made from.
   */
  #soon(workspace: Workspace): boolean {
    const room = this.#rooms.peek({ workspaceId: workspace.id, doc: 'directory' })
    return room === undefined || workspaceEntryStale(room.doc, workspace, this.#publicUrl)
  }

  /** Settles once the member is in the directory (or was already), with the batch's others. */
  record(workspace: Workspace, claims: TokenClaims): Promise<void> {
    let write = this.#pending.get(workspace.id)
    if (!write) {
      let go: () => void = () => {}
      const started = new Promise<void>((resolve) => {
        go = resolve
      })
      const created: PendingWrite = { workspace, members: new Map(), done: started, fire: () => {} }
      const wait = this.#soon(workspace) ? DIRECTORY_BATCH_MS : this.#batchMs
      const timer = setTimeout(() => created.fire(), wait)
      timer.unref()
      created.fire = () => {
        clearTimeout(timer)
        this.#pending.delete(workspace.id)
        go()
      }
      created.done = started.then(() => this.#write(created))
      this.#pending.set(workspace.id, created)
      write = created
    }
    write.workspace = workspace
    write.members.set(claims.sub, {
      id: claims.sub,
      workspaceId: claims.ws,
      displayName: claims.name,
      role: claims.role,
    })
    return write.done
  }

  /** Write what is waiting now (the relay is closing: its rooms close next). */
  async flush(): Promise<void> {
    const writes = [...this.#pending.values()]
    for (const write of writes) write.fire()
    await Promise.allSettled(writes.map((write) => write.done))
  }

  async #write({ workspace, members }: PendingWrite): Promise<void> {
    const publicUrl = this.#publicUrl
    await this.#rooms.with({ workspaceId: workspace.id, doc: 'directory' }, async (room) => {
      const doc = room.doc
      const needsWorkspace = workspaceEntryStale(doc, workspace, publicUrl)
      const changed = [...members.values()].filter((m) => !sameMember(membersMap(doc).get(m.id), m))
      if (!needsWorkspace && changed.length === 0) return
      await room.changeByRelay((d) => {
        if (needsWorkspace) {
          workspaceMap(d).set('id', workspace.id)
          workspaceMap(d).set('name', workspace.name)
          workspaceMap(d).set('publicUrl', publicUrl)
        }
        for (const member of changed) putMember(d, member)
      })
      const one = changed.length === 1 ? changed[0] : undefined
      this.#log.info('directory updated', {
        room: room.name,
        members: changed.length,
        // One member (the usual reconnect): named, as before batching.
        member: one?.id,
        role: one?.role,
      })
    })
  }
}

type PendingWrite = {
  workspace: Workspace
  members: Map<string, Member>
  /** Settles once the batch is written. */
  done: Promise<void>
  /** Write it now instead of at the end of the batch window. */
  fire: () => void
}

/**
 * In `doc` (queue or curation), the ids in `gone` become DELETED_MEMBER wherever items name a
 * member (author, approver, moderation): the content stays, nobody is named. Returns the
 * fields to rewrite and their new values.
 */
function namingFields(doc: Y.Doc, gone: ReadonlySet<string>): [Y.Map<unknown>, string, unknown][] {
  const fields: [Y.Map<unknown>, string, unknown][] = []
  for (const item of itemsMap(doc).values()) {
    if (!(item instanceof Y.Map)) continue
    for (const field of ['authorId', 'approverId']) {
      const value = item.get(field)
      if (typeof value === 'string' && gone.has(value)) fields.push([item, field, DELETED_MEMBER])
    }
    const moderation: unknown = item.get('moderation')
    if (typeof moderation === 'object' && moderation !== null) {
      const by = (moderation as Record<string, unknown>).by
      if (typeof by === 'string' && gone.has(by))
        fields.push([item, 'moderation', { ...moderation, by: DELETED_MEMBER }])
    }
  }
  return fields
}

/** Documents whose items name their authors and approvers. */
const ITEM_DOCS: readonly DocName[] = ['queue', 'curation']

/**
 * Drop from each workspace's directory the members the relay no longer knows (`delete-member`
 * ran in the admin tool, or `DELETE /members/me`), and erase them (issue 8.13): their id leaves
 * the items they authored or approved (rewritten to DELETED_MEMBER, content kept), then their
 * directory entry, key included (eraseDeletedMembers). Each document's stored history is folded
 * at once (gc on: the old values go with it) and gets a new `history` generation, so cores fold
 * their own copies too. Items first: until the directory is pruned, the next run (or start)
 * still finds the member there and finishes. Removed members stay listed (earlier approvals
 * still name them) until deleted.
 */
export async function pruneDirectories(
  rooms: RoomManager,
  workspaces: WorkspaceStore,
  log: Logger,
  /** Only these workspaces (default: all). */
  only?: readonly string[],
): Promise<void> {
  for (const workspace of await workspaces.listWorkspaces()) {
    if (only && !only.includes(workspace.id)) continue
    const directory = { workspaceId: workspace.id, doc: 'directory' } as const
    const listed = await rooms.with(directory, (room) => [...membersMap(room.doc)._map.keys()])
    const stale = await unknownMembers(workspaces, workspace.id, listed)
    if (stale.length === 0) continue
    const gone = new Set(stale)
    for (const doc of ITEM_DOCS) {
      await rooms.with({ workspaceId: workspace.id, doc }, async (room) => {
        if (namingFields(room.doc, gone).length === 0) return
        let rewritten = 0
        await room.changeByRelay((d) => {
          const fields = namingFields(d, gone)
          for (const [item, field, value] of fields) item.set(field, value)
          rewritten = fields.length
          setHistoryGeneration(d, newId('gen'))
        })
        await room.compact('periodic')
        log.info('deleted members anonymised', { room: room.name, fields: rewritten })
      })
    }
    await rooms.with(directory, async (room) => {
      await room.changeByRelay((d) => {
        for (const id of stale) if (membersMap(d).has(id)) membersMap(d).delete(id)
        setHistoryGeneration(d, newId('gen'))
      })
      // The live doc forgets the keys too (what it serves and writes from now on); the fold
      // below does the same to the stored history (see foldUpdates).
      eraseDeletedMembers(room.doc)
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
  for (const workspace of await workspaces.listWorkspaces()) {
    const stored = await rooms.store.load(roomName(workspace.id, 'directory'))
    if (stored.lastSeq === 0) continue
    const doc = new Y.Doc()
    let listed: string[]
    try {
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const update of stored.updates) Y.applyUpdate(doc, update)
      // Deleted entries count too: their key is erased only by the prune.
      listed = [...membersMap(doc)._map.keys()]
    } finally {
      doc.destroy()
    }
    if ((await unknownMembers(workspaces, workspace.id, listed)).length > 0)
      stale.push(workspace.id)
  }
  if (stale.length > 0) await pruneDirectories(rooms, workspaces, log, stale)
}

/** The ids among `ids` that are not (or no longer) members of the workspace. */
async function unknownMembers(
  workspaces: WorkspaceStore,
  workspaceId: string,
  ids: readonly string[],
): Promise<string[]> {
  const records = await Promise.all(ids.map((id) => workspaces.getMemberRecord(id)))
  return ids.filter((_, i) => records[i]?.workspaceId !== workspaceId)
}
