import type { TokenClaims } from '../../common/model/invitation'
import type { Refusal } from '../http/authorize'
import type { Logger } from '../log'
import type { MemberWatch } from '../persistence/relational'
import type { DeviceTouch, WorkspaceStore } from '../persistence/workspace-store'
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

/**
 * One string per device id for all its connections (a device holds one per document; the relay
 * builds `invitation-<n>` for each connect): kept as long as the connection (idle memory). Bounded.
 */
const deviceIds = new Map<string, string>()

function sharedDevice(device: string): string {
  const known = deviceIds.get(device)
  if (known !== undefined) return known
  if (deviceIds.size >= 10_000) deviceIds.clear()
  deviceIds.set(device, device)
  return device
}

/**
 * How long a device record ("last seen", connection count) may wait for the others of a connect
 * burst: bookkeeping read by the admin tool's list-members, never by an access decision.
 */
const TOUCH_BATCH_MS = 20

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
  /** Members changed elsewhere (after live connections were re-checked). */
  onExternalChange?: () => void
}

/**
 * Live sockets by member, and the watch that takes access back from them. The admin tool (another
 * process) or another node writes `members`; the relational backend says when (SQLite: its
 * `data_version` polled, one cheap pragma; PostgreSQL: a NOTIFY from every member write, so a
 * removal on node A closes sockets on node B at once), and only then are the live members re-read.
 */
export class LiveAccess {
  readonly #byMember = new Map<string, Map<LiveConnection, Entry>>()
  readonly #workspaces: WorkspaceStore
  readonly #log: Logger
  readonly #options: LiveAccessOptions
  #unwatch: (() => void) | null
  #touches: DeviceTouch[] = []
  /** Writes the queued touches TOUCH_BATCH_MS after the first; none once closed (see close). */
  #touchTimer: NodeJS.Timeout | null = null
  #closed = false
  #flushing: Promise<void> = Promise.resolve()
  /** A recheck running, and whether another was asked for meanwhile (run once after it). */
  #checking: Promise<void> | null = null
  #again = false
  /** Rechecks asked for so far (change notifications, this process's own): see `changes`. */
  #changes = 0

  constructor(
    workspaces: WorkspaceStore,
    watch: MemberWatch,
    log: Logger,
    options: LiveAccessOptions,
  ) {
    this.#workspaces = workspaces
    this.#log = log
    this.#options = options
    this.#unwatch = watch(() => {
      this.recheck().then(
        () => this.#options.onExternalChange?.(),
        () => {},
      )
    })
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

  /**
   * A counter that moves with every member change heard. An upgrade whose member read awaited I/O
   * (PostgreSQL, cache miss) records it before the read and passes it to add(): a change heard
   * meanwhile may have been re-checked before this connection was added, against a read that
   * predates it (review 2, L1).
   */
  get changes(): number {
    return this.#changes
  }

  /**
   * `changesBefore`: `changes` as it was before the upgrade's member read; if it moved since,
   * that member is re-checked now (the recheck of the change may have run without it).
   */
  add(
    connection: LiveConnection,
    generation: number,
    device: string,
    changesBefore?: number,
  ): void {
    const member = connection.claims.sub
    let entries = this.#byMember.get(member)
    if (!entries) {
      entries = new Map()
      this.#byMember.set(member, entries)
    }
    entries.set(connection, { connection, generation, device: sharedDevice(device) })
    this.#touch(member, device, 1)
    if (changesBefore !== undefined && changesBefore !== this.#changes)
      this.#recheckOnce([member]).catch((error: unknown) =>
        this.#log.error('membership recheck failed', { error: (error as Error).message }),
      )
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

  /**
   * Re-check every live connection against `members` now (also run on every change). Calls that
   * overlap a running one make it run once more afterwards: its reads may predate the change.
   */
  recheck(): Promise<void> {
    this.#changes++
    if (this.#checking) {
      this.#again = true
      return this.#checking
    }
    const run = async () => {
      do {
        this.#again = false
        try {
          await this.#recheckOnce()
        } catch (error) {
          this.#log.error('membership recheck failed', { error: (error as Error).message })
        }
      } while (this.#again)
    }
    this.#checking = run().finally(() => {
      this.#checking = null
    })
    return this.#checking
  }

  async #recheckOnce(members = [...this.#byMember.keys()]): Promise<void> {
    const records = await Promise.all(members.map((id) => this.#workspaces.getMemberRecord(id)))
    members.forEach((memberId, i) => {
      const entries = this.#byMember.get(memberId)
      if (!entries) return
      const member = records[i] ?? null
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
    })
  }

  /**
   * Stop watching; resolves once the device records touched so far are written. From then on no
   * timer writes touches: the store may be closed next. Touches that come later (the drain's
   * disconnects) wait for the next close(): the relay's drain calls it at its start and again
   * once its connections are gone, before the stores close. Only what comes after that last
   * call — sockets cut by closeAllConnections once storage is closed — is never written: a
   * disconnect's last-seen time (the connect's record was written when it connected).
   */
  close(): Promise<void> {
    this.#unwatch?.()
    this.#unwatch = null
    this.#closed = true
    return this.flushTouches()
  }

  #touch(member: string, device: string, connected: 0 | 1): void {
    // Written TOUCH_BATCH_MS after the first, all the connects of that window in one commit: a
    // commit per connect was the largest part of the relay's own CPU per connect, and one per
    // event-loop turn still wrote one to three touches each in a burst (issue 11.3).
    this.#touches.push({ member, device, now: new Date(), connected })
    if (this.#touchTimer !== null || this.#closed) return
    this.#touchTimer = setTimeout(this.#onTouchTimer, TOUCH_BATCH_MS)
    this.#touchTimer.unref()
  }

  readonly #onTouchTimer = (): void => {
    this.#touchTimer = null
    void this.flushTouches()
  }

  /** Write the device records touched so far (also on close, so none is lost). */
  flushTouches(): Promise<void> {
    if (this.#touchTimer !== null) {
      clearTimeout(this.#touchTimer)
      this.#touchTimer = null
    }
    const touches = this.#touches
    if (touches.length > 0) {
      this.#touches = []
      // In order: one turn's batch after the previous one's.
      this.#flushing = this.#flushing.then(() =>
        this.#workspaces.touchDevices(touches).catch((error: unknown) => {
          // "Last seen" is bookkeeping: never a reason to refuse or drop a connection.
          this.#log.warn('device record failed', {
            members: touches.length,
            error: (error as Error).message,
          })
        }),
      )
    }
    return this.#flushing
  }
}
