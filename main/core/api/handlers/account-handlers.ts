import type { AccountExport } from '../../../../common/contract/api'
import { ContractError } from '../../../../common/contract/messages'
import { ProposalSubmission, type ProposalView, ShareEvent } from '../../../../common/model/share'
import { deleteMe } from '../../shares/relay-api'
import type { Db } from '../../store/database'
import { DEFAULT_SETTINGS } from '../../store/settings'
import type { CoreContext } from '../context'
import type { HandlerGroup } from './types'

/**
 * What "delete my data" keeps: the schema's bookkeeping, and the device's own key (not data
 * about the person; the shares it proved are deleted here, and the share store keeps it in use).
 */
const KEPT_TABLES = new Set(['schema_migrations', 'device_secret'])

function userTables(db: Db): string[] {
  return db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .all()
    .map((row) => row.name)
    .filter((name) => !KEPT_TABLES.has(name))
}

function pendingOutbox(db: Db): number {
  return (
    db
      .prepare<[], { n: number }>(
        'SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL',
      )
      .get()?.n ?? 0
  )
}

/**
 * Proposals of a workspace this device left: their fate is no longer known here, only whether
 * they reached the relay.
 */
function storedProposals(db: Db): ProposalView[] {
  const rows = db
    .prepare<[], { json: string; delivered: number | null }>(
      `SELECT p.json AS json, o.delivered_at IS NOT NULL AS delivered
         FROM proposals p LEFT JOIN outbox o ON o.id = p.id ORDER BY p.proposed_at DESC`,
    )
    .all()
  const views: ProposalView[] = []
  for (const row of rows) {
    let json: unknown
    try {
      json = JSON.parse(row.json)
    } catch {
      continue
    }
    const parsed = ProposalSubmission.safeParse(json)
    if (!parsed.success) continue
    views.push({
      ...parsed.data,
      state: row.delivered ? 'pending' : 'sending',
      reason: null,
      decidedAt: null,
    })
  }
  return views
}

function exportAccount(ctx: CoreContext): AccountExport {
  const settings = ctx.store.settings.get()
  const now = new Date(ctx.now())
  const status = ctx.status()
  const db = ctx.store.db
  const shares = ctx.shares.recorded().flatMap((row) => {
    const parsed = ShareEvent.safeParse(row)
    return parsed.success ? [parsed.data] : []
  })
  return {
    format: 'porte-voix.account-export/1',
    exportedAt: now.toISOString(),
    session: status.session,
    settings,
    stats: ctx.shares.statsMine(settings, now),
    shares,
    proposals: status.session ? ctx.shares.listMine(ctx.joined()) : storedProposals(db),
    pendingOutbox: pendingOutbox(db),
  }
}

/** "Export my data" and "Leave and delete" (the person's own data, on this device). */
export const accountHandlers: HandlerGroup<'account.export' | 'account.leaveAndDelete'> = {
  'account.export': (ctx) => exportAccount(ctx),

  'account.leaveAndDelete': async (ctx, params) => {
    const session = ctx.status().session ? ctx.joined().session : null
    let relayDeleted = false
    if (session && !params.localOnly) {
      // The relay first, while this device still holds the token: if it cannot be reached,
      // nothing is deleted and the person chooses (try again, or this device only).
      const outcome = await deleteMe(session.relayUrl, session.token, session.claims.sub)
      if (outcome.kind !== 'delivered') {
        throw new ContractError(
          'unavailable',
          `The relay could not delete your data (${outcome.error}); nothing was deleted. Try again when online, or delete on this device only.`,
        )
      }
      relayDeleted = true
    }
    // Leaving stops sync and removes the workspace's documents and queue.
    if (session) await ctx.leave()
    // Then every row this device holds: shares, stats, proposals, outbox, settings, feed and
    // nudge state.
    const db = ctx.store.db
    db.transaction(() => {
      for (const table of userTables(db)) db.prepare(`DELETE FROM "${table}"`).run()
    })()
    // Through the store, so windows following the settings go back to the defaults at once.
    ctx.store.settings.update(DEFAULT_SETTINGS)
    return { relayDeleted }
  },
}
