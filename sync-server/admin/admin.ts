import * as Y from 'yjs'
import { z } from 'zod'
import { membersMap } from '../../common/doc/directory-doc'
import { DOC_NAMES, roomName } from '../../common/doc/rooms'
import { Id, newId } from '../../common/model/ids'
import { formatInvitation, RelayUrl } from '../../common/model/invitation'
import { Role, Workspace } from '../../common/model/member'
import { parseOrThrow } from '../../common/model/validation'
import { loadSecret } from '../auth/secret'
import { signToken } from '../auth/tokens'
import type { ResultsStore } from '../links/results-store'
import { silentLogger } from '../log'
import { type Db, openDatabase } from '../persistence/database'
import { openSqliteRelational, type RelationalStores } from '../persistence/relational'
import { SqliteStore } from '../persistence/sqlite-store'
import type {
  DeviceRecord,
  MemberRecord,
  MemberSummary,
  WorkspaceStore,
} from '../persistence/workspace-store'
import { openPgRelational } from '../storage/postgres/relational'
import { RedisDocStore } from '../storage/redis/doc-store'
import { type JournalRecord, journalRowsBeside } from '../storage/sqlite/journal'

/**
 * Where the relay's relational tables are: a data dir (its SQLite file, the embedded default) or,
 * for nodes started with `--postgres-url`, that PostgreSQL (the data dir then only holds the
 * signing secret, if PORTE_VOIX_RELAY_SECRET is not set).
 */
export type AdminTarget =
  | string
  | {
      dataDir: string
      postgresUrl?: string | undefined
      /** With postgresUrl: where the documents' streams are (export-member reads them). */
      redisUrl?: string | undefined
    }

const dataDirOf = (target: AdminTarget) => (typeof target === 'string' ? target : target.dataDir)

/**
 * What the admin tool does, as functions: the CLI calls them, and so do tests (in-process,
 * against the same data dir or PostgreSQL as running relays — WAL makes SQLite safe).
 */
async function withStores<T>(
  target: AdminTarget,
  fn: (stores: RelationalStores, db: Db | null) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const postgresUrl = typeof target === 'string' ? undefined : target.postgresUrl
  if (postgresUrl !== undefined) {
    const stores = await openPgRelational({ url: postgresUrl })
    try {
      return await fn(stores, null)
    } finally {
      await stores.close()
    }
  }
  // Only create-workspace may start a relay database; any other command on a wrong --data-dir
  // says so instead of working on a new, empty one.
  const db = openDatabase(dataDirOf(target), { mustExist: !options.create })
  try {
    return await fn(openSqliteRelational(db), db)
  } finally {
    db.close()
  }
}

function withStore<T>(
  target: AdminTarget,
  fn: (store: WorkspaceStore) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  return withStores(target, (stores) => fn(stores.workspaces), options)
}

export const CreateWorkspaceInput = z.object({
  name: z.string().trim().min(1, 'workspace name is empty').max(120),
  id: Id.optional(),
})

export async function createWorkspace(
  target: AdminTarget,
  input: z.input<typeof CreateWorkspaceInput>,
): Promise<Workspace> {
  const { name, id } = parseOrThrow(CreateWorkspaceInput, input, 'workspace')
  const workspace = parseOrThrow(Workspace, { id: id ?? newId('ws'), name }, 'workspace')
  await withStore(target, (store) => store.createWorkspace(workspace), { create: true })
  return workspace
}

export const InviteInput = z.object({
  workspaceId: Id,
  name: z.string().trim().min(1, 'member name is empty').max(120),
  role: Role,
  memberId: Id.optional(),
  /** Token lifetime; negative only makes sense in tests (an already expired token). */
  ttlSeconds: z
    .number()
    .int()
    .min(-365 * 86_400)
    .max(3650 * 86_400),
  relayUrl: RelayUrl,
})
export type InviteInput = z.input<typeof InviteInput>

export type IssuedInvitation = {
  memberId: string
  token: string
  link: string
  expiresAt: Date
  /** 1 for a first invitation; each re-invitation bumps it and refuses older tokens. */
  generation: number
}

export async function invite(
  target: AdminTarget,
  input: InviteInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<IssuedInvitation> {
  const parsed = parseOrThrow(InviteInput, input, 'invitation')
  const memberId = parsed.memberId ?? newId('mem')
  const now = new Date()
  const expiresAt = new Date(now.getTime() + parsed.ttlSeconds * 1000)
  const generation = await withStore(target, async (store) => {
    if (!(await store.getWorkspace(parsed.workspaceId))) {
      throw new Error(`No workspace "${parsed.workspaceId}" on this relay (create it first)`)
    }
    const existing = await store.getMember(memberId)
    if (existing && existing.workspaceId !== parsed.workspaceId) {
      throw new Error(`Member "${memberId}" belongs to another workspace`)
    }
    return store.upsertMember(
      {
        id: memberId,
        workspaceId: parsed.workspaceId,
        displayName: parsed.name,
        role: parsed.role,
      },
      now,
      expiresAt,
    )
  })
  const token = await signToken(
    loadSecret(dataDirOf(target), env),
    {
      memberId,
      workspaceId: parsed.workspaceId,
      role: parsed.role,
      name: parsed.name,
      ttlSeconds: parsed.ttlSeconds,
      generation,
    },
    now.getTime(),
  )
  return {
    memberId,
    token,
    link: formatInvitation({ relayUrl: parsed.relayUrl, token }),
    expiresAt,
    generation,
  }
}

export function listWorkspaces(target: AdminTarget): Promise<Workspace[]> {
  return withStore(target, (store) => store.listWorkspaces())
}

async function requireMember(store: WorkspaceStore, memberId: string): Promise<MemberRecord> {
  const member = await store.getMemberRecord(memberId)
  if (!member) throw new Error(`No member "${memberId}" on this relay (see list-members)`)
  return member
}

export function listMembers(target: AdminTarget, workspaceId: string): Promise<MemberSummary[]> {
  return withStore(target, async (store) => {
    if (!(await store.getWorkspace(workspaceId))) {
      throw new Error(`No workspace "${workspaceId}" on this relay (see list-workspaces)`)
    }
    return store.listMembers(workspaceId)
  })
}

/**
 * Change a member's role. The relay closes the member's live connections within a second; their
 * devices renew their token into the new role and reconnect (see api/auth.ts).
 */
export function setRole(target: AdminTarget, memberId: string, role: Role): Promise<MemberRecord> {
  const parsedRole = parseOrThrow(Role, role, 'role')
  return withStore(target, async (store) => {
    const member = await requireMember(store, memberId)
    if (member.removedAt) throw new Error(`Member "${memberId}" was removed; reinvite them instead`)
    await store.setRole(memberId, parsedRole)
    return requireMember(store, memberId)
  })
}

/** Take a member's access back: every token refused, live connections closed within a second. */
export function removeMember(target: AdminTarget, memberId: string): Promise<MemberRecord> {
  return withStore(target, async (store) => {
    await requireMember(store, memberId)
    await store.removeMember(memberId)
    return requireMember(store, memberId)
  })
}

export type ReinviteInput = {
  memberId: string
  ttlSeconds: number
  relayUrl: string
  role?: Role
}

/** A new invitation for an existing (or removed) member; every older token stops working. */
export async function reinvite(
  target: AdminTarget,
  input: ReinviteInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<IssuedInvitation> {
  const member = await withStore(target, (store) => requireMember(store, input.memberId))
  return invite(
    target,
    {
      workspaceId: member.workspaceId,
      name: member.displayName,
      role: input.role ?? member.role,
      memberId: member.id,
      ttlSeconds: input.ttlSeconds,
      relayUrl: input.relayUrl,
    },
    env,
  )
}

/** Everything the relay holds about one member (issue 8.13), as plain JSON. */
export type MemberExport = {
  exportedAt: string
  member: MemberRecord
  workspace: Workspace | null
  devices: DeviceRecord[]
  /** The leaderboard opt-in and the shares linked to the member while opted in (null: never). */
  leaderboard: { optedAt: string; shareIds: string[] } | null
  /** What the workspace's documents say of or by the member (directory entry, authored items). */
  documents: { room: string; path: string; value: unknown }[]
  note: string
}

/** Rooms stored for a workspace, from the tables (new documents are found without a list). */
function roomsOf(db: Db, workspaceId: string): string[] {
  const prefix = `${workspaceId}/`
  return db
    .prepare<[{ prefix: string }], { room: string }>(
      `SELECT room FROM snapshots WHERE substr(room, 1, length(@prefix)) = @prefix
       UNION SELECT DISTINCT room FROM updates WHERE substr(room, 1, length(@prefix)) = @prefix`,
    )
    .all({ prefix })
    .map((row) => row.room)
}

function loadRoom(store: SqliteStore, room: string, journal: JournalRecord[] = []): Y.Doc {
  const doc = new Y.Doc()
  const stored = store.load(room)
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const update of stored.updates) Y.applyUpdate(doc, update)
  // What a running relay has in its update journal only (a row in both was folded meanwhile).
  for (const r of journal) if (r.seq > stored.lastSeq) Y.applyUpdate(doc, r.data)
  return doc
}

/** Entries of the document's top-level maps that are this member's: by id or by `authorId`. */
function findInDoc(doc: Y.Doc, memberId: string): { path: string; value: unknown }[] {
  const found: { path: string; value: unknown }[] = []
  const directoryEntry = membersMap(doc).get(memberId)
  if (directoryEntry !== undefined)
    found.push({ path: `members/${memberId}`, value: directoryEntry })
  for (const name of [...doc.share.keys()]) {
    if (name === 'members') continue
    let map: Y.Map<unknown>
    try {
      map = doc.getMap(name)
    } catch {
      continue // a root that is not a map (text, array) holds no per-member entries
    }
    for (const [key, value] of map.entries()) {
      if (value instanceof Y.Map && value.get('authorId') === memberId) {
        found.push({ path: `${name}/${key}`, value: value.toJSON() })
      }
    }
  }
  return found
}

export function exportMember(target: AdminTarget, memberId: string): Promise<MemberExport> {
  return withStores(target, async (stores, db) => {
    const store = stores.workspaces
    const member = await requireMember(store, memberId)
    const documents: MemberExport['documents'] = []
    // The documents: in the SQLite file on a single node; with PostgreSQL in Redis streams +
    // PostgreSQL snapshots, read when --redis-url is given too (otherwise the note says so).
    const redisUrl = typeof target === 'string' ? undefined : target.redisUrl
    const postgresUrl = typeof target === 'string' ? undefined : target.postgresUrl
    let documentsRead = true
    if (db) {
      // Read before the database (see journalRowsBeside).
      const journal = journalRowsBeside(db.name)
      const rooms = new SqliteStore(db)
      const names = new Set(roomsOf(db, member.workspaceId))
      for (const room of journal.keys())
        if (room.startsWith(`${member.workspaceId}/`)) names.add(room)
      for (const room of names) {
        const doc = loadRoom(rooms, room, journal.get(room))
        for (const entry of findInDoc(doc, memberId)) documents.push({ room, ...entry })
        doc.destroy()
      }
    } else if (redisUrl !== undefined && postgresUrl !== undefined) {
      const docs = await RedisDocStore.open({ redisUrl, postgresUrl, log: silentLogger })
      try {
        for (const name of DOC_NAMES) {
          const room = roomName(member.workspaceId, name)
          const stored = await docs.load(room)
          if (stored.lastSeq === 0) continue
          const doc = new Y.Doc()
          if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
          for (const update of stored.updates) Y.applyUpdate(doc, update)
          for (const entry of findInDoc(doc, memberId)) documents.push({ room, ...entry })
          doc.destroy()
        }
      } finally {
        await docs.close()
      }
    } else documentsRead = false
    return {
      exportedAt: new Date().toISOString(),
      member,
      workspace: await store.getWorkspace(member.workspaceId),
      devices: await store.listDevices(memberId),
      leaderboard: await stores.results.memberLinks(member.workspaceId, memberId),
      documents,
      note:
        'The relay stores no IP address; shares are counted without naming who made them.' +
        (documentsRead
          ? ''
          : ' Documents (Redis + PostgreSQL) are not included: run it with --redis-url too.'),
    }
  })
}

/**
 * Forget a member: the membership and device records go, so every token is refused and live
 * connections close; the leaderboard opt-in and every share ↔ member link go too. Anonymous
 * aggregates (shares, clicks, conversions) stay: they never named the member. The running relay
 * then drops the member from the directory and compacts it (directory.ts).
 */
export function deleteMember(target: AdminTarget, memberId: string): Promise<{ deleted: string }> {
  return withStores(target, (stores) => forgetMember(stores.workspaces, stores.results, memberId))
}

/** The deletion itself, on an open store: the admin tool and `DELETE /api/v1/members/me` share it. */
export async function forgetMember(
  store: WorkspaceStore,
  results: Pick<ResultsStore, 'optOut'>,
  memberId: string,
): Promise<{ deleted: string }> {
  const member = await requireMember(store, memberId)
  // Results first: a failure in between leaves the member row, so the deletion can be run again.
  await results.optOut(member.workspaceId, memberId)
  await store.deleteMember(memberId)
  return { deleted: memberId }
}
