import { NETWORKS, type Network } from '../../../common/model/networks'
import type { Db } from '../store/database'
import type { Click, NudgeOutcome, PastNudge } from './model'

type NudgeRow = {
  id: string
  item_id: string
  network: string
  at: string
  outcome: string | null
}

const isNetwork = (value: string): value is Network =>
  (NETWORKS as readonly string[]).includes(value)
const OUTCOMES: readonly string[] = ['opened', 'shared', 'dismissed', 'snoozed']

/** The nudge tables of migration 7: my clicks (read), nudges and outcomes, snooze. */
export class NudgeStore {
  private readonly selectClicks
  private readonly insertClick
  private readonly selectNudges
  private readonly insertNudge
  private readonly updateOutcome
  private readonly selectNudge
  private readonly selectSnooze
  private readonly upsertSnooze

  constructor(db: Db) {
    this.selectClicks = db.prepare<[string], { network: string; at: string }>(
      'SELECT network, at FROM my_clicks WHERE at >= ? ORDER BY at',
    )
    this.insertClick = db.prepare<[string, string]>(
      'INSERT INTO my_clicks (network, at) VALUES (?, ?)',
    )
    this.selectNudges = db.prepare<[string], NudgeRow>(
      'SELECT id, item_id, network, at, outcome FROM nudge_log WHERE at >= ? ORDER BY at',
    )
    this.insertNudge = db.prepare<[string, string, string, string]>(
      'INSERT INTO nudge_log (id, item_id, network, at) VALUES (?, ?, ?, ?)',
    )
    this.updateOutcome = db.prepare<[string, string, string]>(
      'UPDATE nudge_log SET outcome = ?, outcome_at = ? WHERE id = ?',
    )
    this.selectNudge = db.prepare<[string], NudgeRow>(
      'SELECT id, item_id, network, at, outcome FROM nudge_log WHERE id = ?',
    )
    this.selectSnooze = db.prepare<[], { snoozed_until: string | null }>(
      'SELECT snoozed_until FROM nudge_state WHERE id = 1',
    )
    this.upsertSnooze = db.prepare<[string | null]>(
      `INSERT INTO nudge_state (id, snoozed_until) VALUES (1, ?)
       ON CONFLICT (id) DO UPDATE SET snoozed_until = excluded.snoozed_until`,
    )
  }

  /** Clicks on my links since an instant (rows with an unknown network or date are skipped). */
  clicks(since: number): Click[] {
    const out: Click[] = []
    for (const row of this.selectClicks.all(new Date(since).toISOString())) {
      const at = Date.parse(row.at)
      if (isNetwork(row.network) && Number.isFinite(at)) out.push({ network: row.network, at })
    }
    return out
  }

  /** Issue 9 fills this from the relay; the simulator from its --clicks file. */
  addClick(click: Click): void {
    this.insertClick.run(click.network, new Date(click.at).toISOString())
  }

  nudges(since: number): PastNudge[] {
    return this.selectNudges.all(new Date(since).toISOString()).flatMap((row) => {
      const past = toPast(row)
      return past ? [past] : []
    })
  }

  get(id: string): PastNudge | null {
    const row = this.selectNudge.get(id)
    return row ? toPast(row) : null
  }

  record(nudge: { id: string; itemId: string; network: Network; at: number }): void {
    this.insertNudge.run(nudge.id, nudge.itemId, nudge.network, new Date(nudge.at).toISOString())
  }

  setOutcome(id: string, outcome: NudgeOutcome, at: number): boolean {
    return this.updateOutcome.run(outcome, new Date(at).toISOString(), id).changes > 0
  }

  snoozedUntil(): number | null {
    const value = this.selectSnooze.get()?.snoozed_until
    if (!value) return null
    const at = Date.parse(value)
    return Number.isFinite(at) ? at : null
  }

  setSnoozedUntil(at: number | null): void {
    this.upsertSnooze.run(at === null ? null : new Date(at).toISOString())
  }
}

function toPast(row: NudgeRow): PastNudge | null {
  const at = Date.parse(row.at)
  if (!isNetwork(row.network) || !Number.isFinite(at)) return null
  const outcome =
    row.outcome !== null && OUTCOMES.includes(row.outcome) ? (row.outcome as NudgeOutcome) : null
  return { id: row.id, itemId: row.item_id, network: row.network, at, outcome }
}
