import type { TokenClaims } from '../../common/model/invitation'
import type { Refusal } from '../http/authorize'
import type { Logger } from '../log'
import type { Db } from '../persistence/database'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { checkMembership, type MembershipFailure } from './membership'

/**
 * Close codes for live connections whose access was taken back. 44xx: the core does not
 * reconnect with this token. A role change is 4000 instead: the core reconnects, is refused with
 * `roleChanged`, renews its token into the new role and syncs again.
 */
export const ACCESS_CLOSE = {
  removed: 4403,
  superseded: 4410,
  roleChanged: 4000,
} as const

const CLOSE_OF: Record<MembershipFailure, { code: number; reason: string }> = {
  unknown: { code: ACCESS_CLOSE.removed, reason: 'member removed' },
  removed: { code: ACCESS_CLOSE.removed, reason: 'member removed' },
  superseded: { code: ACCESS_CLOSE.superseded, reason: 'invitation superseded' },
  'role-changed': { code: ACCESS_CLOSE.roleChanged, reason: 'role changed; renew the token' },
}

/** What the registry needs of a connection: who it is and how to close it. */
export type LiveConnection = {
  readonly id: number
  readonly claims: TokenClaims
  close(code: number, reason: string): void
}

type Entry = { connection: LiveConnection; generation: number; device: string }

export type LiveAccessOptions = {
  /** Sockets one member may hold at once (all devices and documents together). */
  maxPerMember: number
  /** How often to look whether another process (the admin tool) changed the database. */
  pollMs: number
  /** Another process changed the database (after live connections were re-checked). */
  onExternalChange?: () => void
}

/**
 * Live sockets by member, and the watch that takes access back from them. The admin tool writes
 * `members` from another process; SQLite's `data_version` changes exactly when another connection
 * committed, so polling it is one cheap pragma, and only then are the live members re-read.
 */
export class LiveAccess {
  readonly #byMember = new Map<string, Map<LiveConnection, Entry>>()
  readonly #db: Db
  readonly #workspaces: WorkspaceStore
  readonly #log: Logger
  readonly #options: LiveAccessOptions
  #dataVersion: number
  #timer: NodeJS.Timeout | null = null
  #touches: { member: string; device: string; now: Date; connected: 0 | 1 }[] = []

  constructor(db: Db, workspaces: WorkspaceStore, log: Logger, options: LiveAccessOptions) {
    this.#db = db
    this.#workspaces = workspaces
    this.#log = log
    this.#options = options
    this.#dataVersion = this.#readVersion()
    this.#timer = setInterval(() => this.#poll(), options.pollMs)
    this.#timer.unref()
  }

  get size(): number {
    let n = 0
    for (const entries of this.#byMember.values()) n += entries.size
    return n
  }

  /** Called just before an upgrade is accepted; synchronous with add(), so no race. */
  admit(memberId: string): Refusal | null {
    const count = this.#byMember.get(memberId)?.size ?? 0
    if (count < this.#options.maxPerMember) return null
    return {
      ok: false,
      status: 429,
      reason: `too many connections for this member (at most ${this.#options.maxPerMember})`,
      problem: 'tooManyConnections',
    }
  }

  add(connection: LiveConnection, generation: number, device: string): void {
    const member = connection.claims.sub
    let entries = this.#byMember.get(member)
    if (!entries) {
      entries = new Map()
      this.#byMember.set(member, entries)
    }
    entries.set(connection, { connection, generation, device })
    this.#touch(member, device, 1)
  }

  remove(connection: LiveConnection): void {
    const member = connection.claims.sub
    const entries = this.#byMember.get(member)
    const entry = entries?.get(connection)
    if (!entries || !entry) return
    entries.delete(connection)
    if (entries.size === 0) this.#byMember.delete(member)
    this.#touch(member, entry.device, 0)
  }

  /** Re-check every live connection against `members` now (also run by the poll). */
  recheck(): void {
    for (const [memberId, entries] of [...this.#byMember]) {
      const member = this.#workspaces.getMemberRecord(memberId)
      for (const entry of [...entries.values()]) {
        const check = checkMembership(
          { claims: entry.connection.claims, generation: entry.generation },
          member,
        )
        if (check.ok) continue
        const { code, reason } = CLOSE_OF[check.kind]
        this.#log.info('access taken back', {
          conn: entry.connection.id,
          member: memberId,
          why: check.kind,
          code,
        })
        // Removed here as well as by the connection's own callback: never closed twice.
        entries.delete(entry.connection)
        entry.connection.close(code, reason)
      }
      if (entries.size === 0) this.#byMember.delete(memberId)
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.flushTouches()
  }

  #poll(): void {
    let version: number
    try {
      version = this.#readVersion()
    } catch (error) {
      this.#log.error('membership poll failed', { error: (error as Error).message })
      return
    }
    if (version === this.#dataVersion) return
    this.#dataVersion = version
    this.recheck()
    this.#options.onExternalChange?.()
  }

  #readVersion(): number {
    return this.#db.pragma('data_version', { simple: true }) as number
  }

  #touch(member: string, device: string, connected: 0 | 1): void {
    // Written at the end of the turn, all of a turn's connects in one commit: a commit per
    // connect was the largest part of the relay's own CPU per connect (issue 11.3).
    this.#touches.push({ member, device, now: new Date(), connected })
    if (this.#touches.length > 1) return
    setImmediate(() => this.flushTouches())
  }

  /** Write the device records touched so far (also on close, so none is lost). */
  flushTouches(): void {
    const touches = this.#touches
    if (touches.length === 0) return
    this.#touches = []
    try {
      this.#workspaces.touchDevices(touches)
    } catch (error) {
      // "Last seen" is bookkeeping: never a reason to refuse or drop a connection.
      this.#log.warn('device record failed', {
        members: touches.length,
        error: (error as Error).message,
      })
    }
  }
}
