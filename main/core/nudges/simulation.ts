import type { Nudge, Settings } from '../../../common/contract/api'
import type { SnoozeKind } from '../../../common/nudges/settings'
import { SimulatedClock } from '../lifecycle'
import { type Db, openDatabase } from '../store/database'
import { SettingsStore } from '../store/settings'
import type { Click, NudgeOutcome, PooledCurve } from './model'
import type { NudgeItem } from './plan'
import { NudgeService } from './service'
import { instantOf, localTime, nextDay } from './time'

/** An item of a simulation (the --items file): times are ISO instants. */
export type SimItem = {
  id: string
  title?: string
  publishAt: string
  expiresAt?: string | null
  priority?: number
  /** The deadline of the item's campaign, if any. */
  deadline?: string | null
  status?: string
}

/** What the simulated person does with a nudge (tests); null: nothing. */
export type Reaction = NudgeOutcome | { later: SnoozeKind } | null

export type SimulationOptions = {
  /** My clicks: the history before `from` and those during the period (the model sees only the past). */
  clicks: readonly Click[]
  zone: string
  from: number
  /** The app's settings shape; the time zone comes from `zone`. */
  settings?: Partial<Settings>
  /** Without items, one new item for every network arrives each day at 06:00 local. */
  items?: readonly SimItem[] | null
  days?: number
  memberId?: string
  pooled?: readonly PooledCurve[]
  react?: (nudge: Nudge) => Reaction
  maxWaitMs?: number
}

/** The default content: one item a day at 06:00 local, from `from` for `days` days. */
export function dailyItems(from: number, days: number, zone: string): SimItem[] {
  const items: SimItem[] = []
  let day = localTime(from, zone).day
  for (let d = 0; d <= days; d++, day = nextDay(day)) {
    const at = instantOf(day, 6 * 60, zone)
    if (at < from) continue
    items.push({
      id: `item_${day.replaceAll('-', '')}`,
      title: `Item of ${day}`,
      publishAt: new Date(at).toISOString(),
    })
  }
  return items
}

/**
 * The app's nudge code (NudgeService: model, planner, scheduler, SQLite log) on a simulated
 * clock, with an in-memory database. Items become known when they are published (each arrival
 * is "new content" and replans), as the queue would tell the core.
 */
export class NudgeSimulation {
  readonly clock: SimulatedClock
  readonly service: NudgeService
  readonly shown: Nudge[] = []
  readonly settings: SettingsStore
  private readonly db: Db
  private readonly items: NudgeItem[]
  private readonly shared = new Set<string>()
  private zone: string

  constructor(private readonly options: SimulationOptions) {
    this.clock = new SimulatedClock(options.from)
    this.db = openDatabase({ file: ':memory:' })
    this.settings = new SettingsStore(this.db)
    this.zone = options.zone
    this.settings.update({ ...(options.settings ?? {}), timeZone: options.zone })
    const source = options.items ?? dailyItems(options.from, options.days ?? 30, options.zone)
    this.items = source
      .map((item) => ({
        id: item.id,
        title: item.title ?? item.id,
        status: item.status ?? 'published',
        availableAt: Date.parse(item.publishAt),
        expiresAt: item.expiresAt ? Date.parse(item.expiresAt) : null,
        priority: item.priority ?? 50,
        deadline: item.deadline ? Date.parse(item.deadline) : null,
      }))
      .sort((a, b) => a.availableAt - b.availableAt)
    this.service = new NudgeService({
      db: this.db,
      clock: this.clock,
      settings: () => this.settings.get(),
      context: () => ({
        memberId: options.memberId ?? 'mem_simulated',
        items: this.items.filter((item) => item.availableAt <= this.clock.now()),
        shared: this.shared,
        pooled: options.pooled ?? [],
      }),
      show: (nudge) => this.onShow(nudge),
      ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
    })
    for (const click of options.clicks) this.service.store.addClick(click)
    this.armArrival()
    this.service.changed()
  }

  /** Run the simulated clock forward (timers fire on the way). */
  advance(ms: number): void {
    this.clock.advance(ms)
  }

  advanceTo(at: number): void {
    this.clock.advance(at - this.clock.now())
  }

  /** The machine sleeps, then wakes (the shell reports the resume). */
  sleep(ms: number): void {
    this.clock.sleep(ms)
    this.service.changed()
  }

  /** The person moves to another time zone (the shell reports it). */
  moveTo(zone: string): void {
    this.zone = zone
    this.settings.update({ timeZone: zone })
    this.service.changed()
  }

  get timeZone(): string {
    return this.zone
  }

  updateSettings(patch: Partial<Settings>): void {
    this.settings.update(patch)
    this.service.changed()
  }

  itemsById(): Map<string, NudgeItem> {
    return new Map(this.items.map((item) => [item.id, item]))
  }

  sharedItems(): ReadonlySet<string> {
    return this.shared
  }

  close(): void {
    this.service.dispose()
    this.db.close()
  }

  private onShow(nudge: Nudge): void {
    this.shown.push(nudge)
    const reaction = this.options.react?.(nudge) ?? null
    if (reaction === null) return
    // Reactions come a moment later, as a person's would (outside the scheduler's own call).
    this.clock.setTimeout(() => {
      if (typeof reaction === 'object') this.service.later(nudge.id, reaction.later)
      else {
        if (reaction === 'shared') this.shared.add(nudge.itemId)
        if (reaction === 'opened') this.service.opened(nudge.id)
        else if (reaction === 'shared') this.service.shared(nudge.id)
        else if (reaction === 'dismissed') this.service.dismiss(nudge.id)
        else this.service.later(nudge.id, 'hour')
      }
    }, 60_000)
  }

  /** One timer to the next item's arrival: new content replans. */
  private armArrival(): void {
    const now = this.clock.now()
    const next = this.items.find((item) => item.availableAt > now)
    if (!next) return
    this.clock.setTimeout(() => {
      this.service.changed()
      this.armArrival()
    }, next.availableAt - now)
  }
}
