import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/process'

const TSX = path.resolve('node_modules/.bin/tsx')

describe('npm run nudges:simulate', () => {
  it('prints one JSON line per nudge and nothing else; follows an evening audience; refuses bad flags', () => {
    const dir = tempDir('pv-nudge-cli-')
    const clicks = path.join(dir, 'clicks.jsonl')
    const lines: string[] = []
    // Four weeks of weekday clicks around 21:00 in Paris (20:00 UTC in winter).
    for (let d = 1; d <= 28; d++) {
      const day = new Date(Date.UTC(2026, 1, d))
      if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue
      for (const minute of [0, 10, 25]) {
        lines.push(
          JSON.stringify({
            at: new Date(day.getTime() + (20 * 60 + minute) * 60_000).toISOString(),
            network: 'linkedin',
          }),
        )
      }
    }
    writeFileSync(clicks, `${lines.join('\n')}\n`)
    const settings = path.join(dir, 'settings.json')
    writeFileSync(
      settings,
      JSON.stringify({ networks: ['linkedin'], quietHours: { start: '22:00', end: '07:00' } }),
    )
    const run = spawnSync(
      TSX,
      [
        'main/core/nudges/simulate.ts',
        '--clicks',
        clicks,
        '--time-zone',
        'Europe/Paris',
        '--from',
        '2026-03-02',
        '--days',
        '14',
        '--settings',
        settings,
      ],
      { encoding: 'utf8' },
    )
    expect(run.status, run.stderr).toBe(0)
    const out = run.stdout.trim().split('\n')
    expect(out.length).toBe(10) // one a working day (LinkedIn cap 1, one new item a day)
    for (const line of out) {
      const nudge = JSON.parse(line) as Record<string, string>
      expect(Object.keys(nudge).sort()).toEqual(['at', 'itemId', 'network', 'why'])
      expect(nudge.network).toBe('linkedin')
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Paris',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(nudge.at ?? ''))
      expect(local >= '19:00' && local <= '21:15', `${nudge.at} is ${local} in Paris`).toBe(true)
      expect(nudge.why).toContain('LinkedIn')
    }
    const bad = spawnSync(
      TSX,
      [
        'main/core/nudges/simulate.ts',
        '--clicks',
        clicks,
        '--time-zone',
        'Mars/Olympus',
        '--from',
        '2026-03-02',
        '--days',
        '1',
      ],
      { encoding: 'utf8' },
    )
    expect(bad.status).toBe(2)
    expect(bad.stdout).toBe('')
    expect(bad.stderr).toContain('unknown time zone')
  })
})
