import { describe, expect, it } from 'vitest'
import type { Nudge } from '../../common/contract/api'
import { type Clock, SimulatedClock } from '../../main/core/lifecycle'
import { NudgeService } from '../../main/core/nudges/service'
import { openDatabase } from '../../main/core/store/database'
import { SettingsStore } from '../../main/core/store/settings'

describe('a busy machine', () => {
  it('a timer that fires late still shows its nudge (it does not chase a time always ahead)', () => {
    const sim = new SimulatedClock('2026-03-02T05:00:00Z')
    // Every timer fires 20 s after its time, as under load.
    const late: Clock = {
      now: () => sim.now(),
      monotonic: () => sim.monotonic(),
      setTimeout: (fn, delay) => sim.setTimeout(fn, delay + 20_000),
      setInterval: (fn, every) => sim.setInterval(fn, every),
    }
    const db = openDatabase({ file: ':memory:' })
    const settings = new SettingsStore(db)
    settings.update({ timeZone: 'Europe/Paris', networks: ['linkedin'] })
    const shown: Nudge[] = []
    const item = {
      id: 'item_late',
      title: 'Late',
      status: 'published',
      availableAt: sim.now(),
      expiresAt: null,
      priority: 50,
      deadline: null,
    }
    const service = new NudgeService({
      db,
      clock: late,
      settings: () => settings.get(),
      context: () => ({ memberId: 'mem_a', items: [item], shared: new Set<string>() }),
      show: (nudge) => shown.push(nudge),
    })
    service.changed()
    let wakeups = 0
    while (sim.pending > 0 && wakeups < 20) {
      sim.advance((sim.nextDue() ?? sim.now()) - sim.now())
      wakeups++
    }
    expect(shown.map((n) => n.itemId)).toEqual(['item_late'])
    expect(wakeups).toBeLessThanOrEqual(2)
    service.dispose()
    db.close()
  })
})
