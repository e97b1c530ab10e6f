import { afterAll, describe, expect, it } from 'vitest'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from './support'

let relay: RelayProcess | undefined

afterAll(async () => {
  await relay?.stop()
})

async function scrape(r: RelayProcess): Promise<{ type: string | null; text: string }> {
  const res = await fetch(`${r.httpUrl}/metrics`)
  expect(res.status).toBe(200)
  return { type: res.headers.get('content-type'), text: await res.text() }
}

/** The sample values of `name` (any labels), from Prometheus text. */
function samples(text: string, name: string): number[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)))
}

// One sample line of the text format: name, optional labels, a number (or ±Inf/NaN).
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$/

describe('GET /metrics', () => {
  it('reports connections, rooms, stored updates and fan-out latency in Prometheus text', async () => {
    relay = await startRelay()
    const before = await scrape(relay)
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(samples(before.text, 'porte_voix_relay_connections')).toEqual([0])
    expect(samples(before.text, 'porte_voix_relay_updates_total')).toEqual([0])
    expect(samples(before.text, 'porte_voix_relay_draining')).toEqual([0])

    const ws = await relay.createWorkspace('Acme')
    const { token } = await relay.issueToken({ workspaceId: ws, name: 'Mira', role: 'champion' })
    const url = roomUrl(relay.url, ws, 'queue', token)
    const writer = await RawClient.connect(url)
    const observer = await RawClient.connect(url, { sendLocalUpdates: false })
    await Promise.all([writer.sync(), observer.sync()])
    for (let i = 0; i < 25; i++) writer.doc.getArray<number>('edits').push([i])
    await waitFor('observer to get every edit', () => observer.doc.getArray('edits').length === 25)

    const after = await scrape(relay)
    for (const line of after.text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue
      expect(line).toMatch(SAMPLE)
    }
    expect(samples(after.text, 'porte_voix_relay_connections')).toEqual([2])
    expect(samples(after.text, 'porte_voix_relay_connections_accepted_total')).toEqual([2])
    expect(samples(after.text, 'porte_voix_relay_rooms')[0]).toBeGreaterThanOrEqual(1)
    // The queue's own set-up changes are stored too, so at least the 25 edits.
    expect(samples(after.text, 'porte_voix_relay_updates_total')[0]).toBeGreaterThanOrEqual(25)
    expect(samples(after.text, 'porte_voix_relay_storage_errors_total')).toEqual([0])
    const count = samples(after.text, 'porte_voix_relay_fanout_seconds_count')[0] ?? 0
    expect(count).toBeGreaterThanOrEqual(1)
    // Cumulative buckets end with +Inf equal to the count.
    const buckets = samples(after.text, 'porte_voix_relay_fanout_seconds_bucket')
    expect(buckets.at(-1)).toBe(count)
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets)
    expect(after.text).toContain('# TYPE porte_voix_relay_stream_lag_seconds gauge')
    expect(samples(after.text, 'process_resident_memory_bytes')[0]).toBeGreaterThan(0)

    await Promise.all([writer.close(), observer.close()])
    await waitFor(
      'connections gauge back to 0',
      async () =>
        samples((await scrape(relay as RelayProcess)).text, 'porte_voix_relay_connections')[0] ===
        0,
    )
  })
})
