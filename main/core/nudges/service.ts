import type { AudienceView, Nudge, NudgePreview, Settings } from '../../../common/contract/api'
import { ContractError } from '../../../common/contract/messages'
import { newId } from '../../../common/model/ids'
import type { Network } from '../../../common/model/networks'
import type { SnoozeKind } from '../../../common/nudges/settings'
import { whyText } from '../../../common/nudges/why'
import type { Clock, Disposable } from '../lifecycle'
import type { Db } from '../store/database'
import {
  type AudienceModel,
  buildModel,
  explain as explainModel,
  type NudgeOutcome,
  type PooledCurve,
} from './model'
import { NudgeStore } from './nudge-store'
import { type NudgeItem, type PlannedNudge, planSettings } from './plan'
import { NudgeScheduler } from './scheduler'
import { instantOf, isTimeZone, localTime, nextDay, PROCESS_ZONE, SLOTS_PER_DAY } from './time'

/** What the service needs to know of the workspace, as of now; null when not joined. */
export type NudgeContext = {
  memberId: string
  items: readonly NudgeItem[]
  /** Items I already shared. */
  shared: ReadonlySet<string>
  /** The workspace's aggregate click curves (the board document, when it exists). */
  pooled?: readonly PooledCurve[]
}

export type NudgeServiceOptions = {
  db: Db
  clock: Clock
  settings: () => Settings
  context: () => NudgeContext | null
  /** A nudge is due: show it (the core emits nudge.show). */
  show: (nudge: Nudge) => void
  /** Language for texts when settings say 'system'. */
  systemLanguage?: 'en' | 'fr'
  maxWaitMs?: number
  log?: (line: string) => void
}

const DAY_MS = 86_400_000
/** Clicks older than this no longer count (they have faded to a few percent anyway). */
const CLICK_HISTORY_MS = 26 * 7 * DAY_MS
const NUDGE_HISTORY_MS = 60 * DAY_MS
/** A share this long after a nudge for the same item is the nudge's doing. */
const SHARE_WINDOW_MS = DAY_MS
/** "This evening" begins here, local time. */
const EVENING_MINUTE = 18 * 60 + 30

/**
 * Nudges on the core: the audience models from my clicks, the scheduler on the core's clock,
 * the nudge log with outcomes. The core calls `changed()` whenever something the plan depends on
 * changed (settings, queue, my shares, session, time zone, wall clock, resume).
 */
export class NudgeService implements Disposable {
  readonly store: NudgeStore
  private readonly scheduler: NudgeScheduler
  private cached: { key: string; models: Map<Network, AudienceModel> } | null = null
  /** The OS's zone as the shell last reported it (null: the process's own, from its start). */
  private systemZone: string | null = null

  constructor(private readonly options: NudgeServiceOptions) {
    this.store = new NudgeStore(options.db)
    this.scheduler = new NudgeScheduler({
      clock: options.clock,
      state: () => this.state(),
      show: (planned) => this.show(planned),
      ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
      ...(options.log ? { log: options.log } : {}),
    })
  }

  /** Replan (settings, content, shares, time zone, clock jump, resume). */
  changed(): void {
    this.scheduler.recompute()
  }

  preview(): NudgePreview {
    const now = this.options.clock.now()
    const settings = this.options.settings()
    const context = this.options.context()
    const models = this.models(settings, context, now)
    const next = this.scheduler.next
    const item = next ? context?.items.find((i) => i.id === next.itemId) : undefined
    const snoozed = this.store.snoozedUntil()
    return {
      paused: settings.nudgesPaused,
      snoozedUntil: snoozed !== null && snoozed > now ? new Date(snoozed).toISOString() : null,
      next:
        next && item
          ? {
              itemId: next.itemId,
              title: item.title,
              network: next.network,
              at: new Date(next.at).toISOString(),
              why: next.why,
              whyText: whyText(next.why, this.language(settings)),
            }
          : null,
      audiences: [...models.values()].map((model) => audienceView(model, this.language(settings))),
    }
  }

  opened(id: string): void {
    this.outcome(id, 'opened')
  }

  shared(id: string): void {
    this.outcome(id, 'shared')
  }

  /**
   * I shared an item (share.perform, whichever way I got there: the notification's Share, the
   * banner, or opening it later): the latest nudge that offered it within a day counts as shared.
   * No replan here: the share itself changes my shares, which replans.
   */
  itemShared(itemId: string): void {
    const now = this.options.clock.now()
    const offered = this.store
      .nudges(now - SHARE_WINDOW_MS)
      .filter((n) => n.itemId === itemId && n.outcome !== 'shared')
      .at(-1)
    if (offered) this.store.setOutcome(offered.id, 'shared', now)
  }

  dismiss(id: string): void {
    this.outcome(id, 'dismissed')
  }

  /** Later: nothing until the snooze ends; the nudged item (if any) may come back once. */
  later(id: string | undefined, kind: SnoozeKind): { snoozedUntil: string } {
    const now = this.options.clock.now()
    if (id !== undefined) this.outcome(id, 'snoozed', false)
    const until = snoozeEnd(kind, now, this.zone(this.options.settings()))
    this.store.setSnoozedUntil(until)
    this.changed()
    return { snoozedUntil: new Date(until).toISOString() }
  }

  dispose(): void {
    this.scheduler.dispose()
  }

  private outcome(id: string, outcome: NudgeOutcome, replan = true): void {
    if (!this.store.setOutcome(id, outcome, this.options.clock.now())) {
      throw new ContractError('not_found', `No nudge "${id}"`)
    }
    if (replan) this.changed()
  }

  /** What a 'system' time-zone setting means from now on (the caller replans). */
  setSystemZone(zone: string): void {
    if (isTimeZone(zone)) this.systemZone = zone
  }

  private zone(settings: Settings): string {
    return settings.timeZone ?? this.systemZone ?? PROCESS_ZONE
  }

  private language(settings: Settings): 'en' | 'fr' {
    return settings.language === 'system'
      ? (this.options.systemLanguage ?? 'en')
      : settings.language
  }

  private models(
    settings: Settings,
    context: NudgeContext | null,
    now: number,
  ): Map<Network, AudienceModel> {
    const zone = this.zone(settings)
    const clicks = this.store.clicks(now - CLICK_HISTORY_MS)
    const nudges = this.store.nudges(now - NUDGE_HISTORY_MS)
    // Decay moves slowly: the same inputs within the hour give the same models.
    const key = JSON.stringify([
      zone,
      settings.networks,
      clicks.length,
      clicks.at(-1)?.at ?? 0,
      nudges.map((n) => `${n.id}${n.outcome ?? ''}`).join(),
      context?.pooled?.map((p) => p.clicks) ?? [],
      Math.floor(now / 3_600_000),
    ])
    if (this.cached?.key === key) return this.cached.models
    const models = new Map<Network, AudienceModel>()
    for (const network of settings.networks) {
      const pooled = context?.pooled?.find((curve) => curve.network === network) ?? null
      models.set(network, buildModel({ network, zone, now, clicks, pooled, nudges }))
    }
    this.cached = { key, models }
    return models
  }

  private state() {
    const context = this.options.context()
    if (!context) return null
    const now = this.options.clock.now()
    const settings = this.options.settings()
    return {
      zone: this.zone(settings),
      memberId: context.memberId,
      settings: planSettings(settings),
      items: context.items,
      shared: context.shared,
      history: this.store.nudges(now - NUDGE_HISTORY_MS),
      snoozedUntil: this.store.snoozedUntil(),
      models: this.models(settings, context, now),
    }
  }

  private show(planned: PlannedNudge): void {
    const id = newId('ndg')
    const at = this.options.clock.now()
    const item = this.options.context()?.items.find((i) => i.id === planned.itemId)
    this.store.record({ id, itemId: planned.itemId, network: planned.network, at })
    const settings = this.options.settings()
    this.options.log?.(
      `nudges: ${planned.network} ${planned.itemId} at ${new Date(at).toISOString()}`,
    )
    this.options.show({
      id,
      itemId: planned.itemId,
      title: item?.title ?? planned.itemId,
      network: planned.network,
      at: new Date(at).toISOString(),
      why: planned.why,
      whyText: whyText(planned.why, this.language(settings)),
    })
  }
}

/** When a snooze ends: in an hour, this evening (18:30, or an hour from now if later), tomorrow. */
export function snoozeEnd(kind: SnoozeKind, now: number, zone: string): number {
  if (kind === 'hour') return now + 3_600_000
  const today = localTime(now, zone).day
  if (kind === 'evening') {
    const evening = instantOf(today, EVENING_MINUTE, zone)
    return evening > now ? evening : now + 3_600_000
  }
  return instantOf(nextDay(today), 0, zone)
}

function audienceView(model: AudienceModel, language: 'en' | 'fr'): AudienceView {
  const hours: number[][] = []
  let max = 0
  for (let day = 0; day < 7; day++) {
    const row: number[] = []
    for (let hour = 0; hour < 24; hour++) {
      let total = 0
      for (let q = 0; q < SLOTS_PER_DAY / 24; q++)
        total += model.curve[day * SLOTS_PER_DAY + hour * (SLOTS_PER_DAY / 24) + q] ?? 0
      row.push(total)
      max = Math.max(max, total)
    }
    hours.push(row)
  }
  const scaled = hours.map((row) =>
    row.map((v) => (max > 0 ? Math.round((v / max) * 1000) / 1000 : 0)),
  )
  const why = explainModel(model)
  return { network: model.network, hours: scaled, why, whyText: whyText(why, language) }
}
