import { z } from 'zod'
import { Id } from './ids'
import { lazySchema } from './lazy'

export const ROLES = ['employee', 'champion', 'admin'] as const
export const Role = lazySchema(() => z.enum(ROLES))
export type Role = z.infer<typeof Role>

/** Champions and admins curate; employees read the queue and propose. */
export function canCurate(role: Role): boolean {
  return role === 'champion' || role === 'admin'
}

export const Member = lazySchema(() =>
  z.object({
    id: Id,
    workspaceId: Id,
    displayName: z.string().trim().min(1, 'display name is empty').max(120),
    role: Role,
  }),
)
export type Member = z.infer<typeof Member>

export const Workspace = lazySchema(() =>
  z.object({
    id: Id,
    name: z.string().trim().min(1, 'workspace name is empty').max(120),
  }),
)
export type Workspace = z.infer<typeof Workspace>

/**
 * What a deleted member's id becomes where their work stays (items they authored or approved,
 * moderation decisions): one fixed id, so content is kept and nobody is named (issue 8.13).
 * Windows show it as "a former member".
 */
export const DELETED_MEMBER = 'deleted-member'
