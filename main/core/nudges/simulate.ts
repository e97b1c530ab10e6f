/**
 * `npm run nudges:simulate -- --clicks <file> --time-zone <zone> --from <ISO> --days <n>
 *  [--settings <json file>] [--items <json file>]`
 * Runs the app's nudge code on a simulated clock and prints one JSON line per nudge it would
 * send: {"at","network","itemId","why"}. Nothing else goes to stdout; errors go to stderr.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { Settings } from '../../../common/contract/api'
import { Network } from '../../../common/model/networks'
import { describeIssues } from '../../../common/model/validation'
import { whyText } from '../../../common/nudges/why'
import { NudgeSimulation } from './simulation'
import { isTimeZone } from './time'

const USAGE =
  'usage: npm run nudges:simulate -- --clicks FILE --time-zone ZONE --from ISO --days N [--settings FILE] [--items FILE]'

const ClickLine = z.object({ at: z.iso.datetime({ offset: true }), network: Network })
const ItemsFile = z.array(
  z.object({
    id: z.string().min(1),
    title: z.string().optional(),
    publishAt: z.iso.datetime({ offset: true }),
    expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
    priority: z.number().int().min(0).max(100).optional(),
    deadline: z.iso.datetime({ offset: true }).nullable().optional(),
    status: z.string().optional(),
  }),
)

function fail(message: string): never {
  process.stderr.write(`nudges:simulate: ${message}\n${USAGE}\n`)
  process.exit(2)
}

function readJson<T>(file: string, schema: z.ZodType<T>, what: string): T {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    fail(`cannot read ${what} ${file}: ${(error as Error).message}`)
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) fail(`${what} ${file}: ${describeIssues(parsed.error).join('; ')}`)
  return parsed.data
}

function main(): void {
  let values: Record<string, string | undefined>
  try {
    values = parseArgs({
      options: {
        clicks: { type: 'string' },
        'time-zone': { type: 'string' },
        from: { type: 'string' },
        days: { type: 'string' },
        settings: { type: 'string' },
        items: { type: 'string' },
      },
      strict: true,
    }).values as Record<string, string | undefined>
  } catch (error) {
    fail((error as Error).message)
  }
  const zone = values['time-zone'] ?? fail('--time-zone is required')
  if (!isTimeZone(zone)) fail(`unknown time zone "${zone}"`)
  const from = Date.parse(values.from ?? fail('--from is required'))
  if (!Number.isFinite(from)) fail('--from must be an ISO date or date-time')
  const days = Number(values.days ?? fail('--days is required'))
  if (!Number.isInteger(days) || days < 1 || days > 3660)
    fail('--days must be a whole number 1–3660')
  const clicksFile = values.clicks ?? fail('--clicks is required')
  let text = ''
  try {
    text = readFileSync(clicksFile, 'utf8')
  } catch (error) {
    fail(`cannot read clicks ${clicksFile}: ${(error as Error).message}`)
  }
  const clicks = text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), index }))
    .filter(({ line }) => line !== '')
    .map(({ line, index }) => {
      let json: unknown
      try {
        json = JSON.parse(line)
      } catch {
        fail(`${clicksFile}:${index + 1}: not JSON`)
      }
      const parsed = ClickLine.safeParse(json)
      if (!parsed.success)
        fail(`${clicksFile}:${index + 1}: ${describeIssues(parsed.error).join('; ')}`)
      return { network: parsed.data.network, at: Date.parse(parsed.data.at) }
    })
  const settings = values.settings
    ? readJson(values.settings, Settings.partial(), 'settings')
    : undefined
  const items = values.items ? readJson(values.items, ItemsFile, 'items') : null
  let simulation: NudgeSimulation
  try {
    simulation = new NudgeSimulation({
      clicks,
      zone,
      from,
      days,
      items,
      ...(settings ? { settings } : {}),
    })
  } catch (error) {
    fail((error as Error).message)
  }
  const printed = new Set<string>()
  const print = () => {
    for (const nudge of simulation.shown) {
      if (printed.has(nudge.id)) continue
      printed.add(nudge.id)
      process.stdout.write(
        `${JSON.stringify({ at: nudge.at, network: nudge.network, itemId: nudge.itemId, why: whyText(nudge.why, 'en') })}\n`,
      )
    }
  }
  simulation.advance(days * 86_400_000)
  print()
  simulation.close()
}

main()
