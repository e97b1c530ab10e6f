import { z } from 'zod'
import { Id, newId } from '../../common/model/ids'
import { formatInvitation, RelayUrl } from '../../common/model/invitation'
import { Role, Workspace } from '../../common/model/member'
import { parseOrThrow } from '../../common/model/validation'
import { loadSecret } from '../auth/secret'
import { signToken } from '../auth/tokens'
import { type Db, openDatabase } from '../persistence/database'
import { WorkspaceStore } from '../persistence/workspace-store'

/**
 * What the admin tool does, as functions: the CLI calls them, and so do tests (in-process,
 * against the same data dir as a running relay — WAL makes that safe).
 */
function withStore<T>(dataDir: string, fn: (store: WorkspaceStore, db: Db) => T): T {
  const db = openDatabase(dataDir)
  try {
    return fn(new WorkspaceStore(db), db)
  } finally {
    db.close()
  }
}

export const CreateWorkspaceInput = z.object({
  name: z.string().trim().min(1, 'workspace name is empty').max(120),
  id: Id.optional(),
})

export function createWorkspace(
  dataDir: string,
  input: z.input<typeof CreateWorkspaceInput>,
): Workspace {
  const { name, id } = parseOrThrow(CreateWorkspaceInput, input, 'workspace')
  const workspace = parseOrThrow(Workspace, { id: id ?? newId('ws'), name }, 'workspace')
  withStore(dataDir, (store) => store.createWorkspace(workspace))
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

export type IssuedInvitation = { memberId: string; token: string; link: string; expiresAt: Date }

export async function invite(
  dataDir: string,
  input: InviteInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<IssuedInvitation> {
  const parsed = parseOrThrow(InviteInput, input, 'invitation')
  const memberId = parsed.memberId ?? newId('mem')
  const now = new Date()
  const expiresAt = new Date(now.getTime() + parsed.ttlSeconds * 1000)
  withStore(dataDir, (store) => {
    if (!store.getWorkspace(parsed.workspaceId)) {
      throw new Error(`No workspace "${parsed.workspaceId}" on this relay (create it first)`)
    }
    const existing = store.getMember(memberId)
    if (existing && existing.workspaceId !== parsed.workspaceId) {
      throw new Error(`Member "${memberId}" belongs to another workspace`)
    }
    store.upsertMember(
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
    loadSecret(dataDir, env),
    {
      memberId,
      workspaceId: parsed.workspaceId,
      role: parsed.role,
      name: parsed.name,
      ttlSeconds: parsed.ttlSeconds,
    },
    now.getTime(),
  )
  return {
    memberId,
    token,
    link: formatInvitation({ relayUrl: parsed.relayUrl, token }),
    expiresAt,
  }
}

export function listWorkspaces(dataDir: string): Workspace[] {
  return withStore(dataDir, (store) => store.listWorkspaces())
}
