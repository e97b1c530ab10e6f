/**
 * The relay's metrics, served as Prometheus text (exposition format 0.0.4) on `GET /metrics`.
 * Hand-written rather than a client library: a few counters, gauges and one histogram, and
 * nothing on the hot path but an addition.
 */

type Labels = Record<string, string>

function labelText(labels: Labels): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  const quote = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
  return `{${entries.map(([k, v]) => `${k}="${quote(v)}"`).join(',')}}`
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

interface Metric {
  render(): string
}

export class Counter implements Metric {
  #value = 0
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(by = 1): void {
    this.#value += by
  }
  get value(): number {
    return this.#value
  }
  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n${this.name} ${number(this.#value)}\n`
  }
}

/** A gauge read at scrape time from `read`, or set per label set (`set`). */
export class Gauge implements Metric {
  readonly #values = new Map<string, number>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read?: () => number,
  ) {}
  set(value: number, labels: Labels = {}): void {
    this.#values.set(labelText(labels), value)
  }
  /** Forget a label set (a peer node that left). */
  delete(labels: Labels = {}): void {
    this.#values.delete(labelText(labels))
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`
    if (this.read) out += `${this.name} ${number(this.read())}\n`
    for (const [labels, value] of this.#values) out += `${this.name}${labels} ${number(value)}\n`
    return out
  }
}

export class Histogram implements Metric {
  readonly #counts: number[]
  #sum = 0
  #count = 0
  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds, ascending, in the metric's unit (seconds). */
    readonly buckets: readonly number[],
  ) {
    this.#counts = new Array(buckets.length).fill(0)
  }
  observe(value: number): void {
    this.#sum += value
    this.#count++
    // Few buckets: a linear scan beats a binary search here.
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) {
        this.#counts[i] = (this.#counts[i] as number) + 1
        return
      }
    }
  }
  get count(): number {
    return this.#count
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`
    let cumulative = 0
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += this.#counts[i] as number
      out += `${this.name}_bucket{le="${number(this.buckets[i] as number)}"} ${cumulative}\n`
    }
    out += `${this.name}_bucket{le="+Inf"} ${this.#count}\n`
    out += `${this.name}_sum ${number(this.#sum)}\n${this.name}_count ${this.#count}\n`
    return out
  }
}

/** Fan-out latency buckets, seconds: 50 µs to 1 s. */
const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
]

export type MetricsSources = {
  connections: () => number
  rooms: () => number
}

/**
 * Everything `/metrics` reports. One instance per relay process; storage backends and rooms
 * get it (or the instrument they update) from relay.ts.
 */
export class RelayMetrics {
  readonly connections: Gauge
  readonly rooms: Gauge
  readonly connectionsAccepted = new Counter(
    'porte_voix_relay_connections_accepted_total',
    'WebSocket connections accepted since start.',
  )
  readonly updates = new Counter(
    'porte_voix_relay_updates_total',
    'Document updates durably stored (and then broadcast) since start; rate() gives updates per second.',
  )
  readonly storageErrors = new Counter(
    'porte_voix_relay_storage_errors_total',
    'Appends the storage refused or failed (the update is neither stored nor sent).',
  )
  readonly fanout = new Histogram(
    'porte_voix_relay_fanout_seconds',
    'From the start of an update batch storage append to its frames handed to every peer socket.',
    LATENCY_BUCKETS,
  )
  /**
   * Multi-node backends: how far this node's stream reader is behind the newest entry, per room
   * stream or per peer node (label `source`). Unset on the single-node SQLite backend.
   */
  readonly streamLag = new Gauge(
    'porte_voix_relay_stream_lag_seconds',
    'Age of the newest stream entry this node has not yet fanned out (multi-node backends).',
  )
  readonly draining = new Gauge(
    'porte_voix_relay_draining',
    '1 while the relay drains on SIGTERM (no new connections), else 0.',
  )
  /** Stored queue changes looked at for what the board reads (see board/triggers.ts). */
  readonly boardQueueChecks = new Counter(
    'porte_voix_relay_board_queue_checks_total',
    'Stored queue changes (debounced per workspace) checked for a change of the board inputs.',
  )
  readonly boardQueueRebuilds = new Counter(
    'porte_voix_relay_board_queue_rebuilds_total',
    'Of those checks, the ones that changed point weights or challenges and asked for a board rebuild.',
  )
  readonly #started = Date.now()

  constructor(sources: MetricsSources) {
    this.connections = new Gauge(
      'porte_voix_relay_connections',
      'Open WebSocket connections.',
      sources.connections,
    )
    this.rooms = new Gauge('porte_voix_relay_rooms', 'Documents loaded in memory.', sources.rooms)
    this.draining.set(0)
  }

  render(): string {
    const memory = process.memoryUsage()
    const cpu = process.cpuUsage()
    const process_ =
      '# HELP process_resident_memory_bytes Resident memory size in bytes.\n' +
      '# TYPE process_resident_memory_bytes gauge\n' +
      `process_resident_memory_bytes ${memory.rss}\n` +
      '# HELP process_cpu_seconds_total User and system CPU time spent, seconds.\n' +
      '# TYPE process_cpu_seconds_total counter\n' +
      `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}\n` +
      '# HELP process_start_time_seconds Start time of the process since the Unix epoch, seconds.\n' +
      '# TYPE process_start_time_seconds gauge\n' +
      `process_start_time_seconds ${Math.floor(this.#started / 1000)}\n`
    return (
      [
        this.connections,
        this.connectionsAccepted,
        this.rooms,
        this.updates,
        this.storageErrors,
        this.fanout,
        this.streamLag,
        this.draining,
        this.boardQueueChecks,
        this.boardQueueRebuilds,
      ]
        .map((m) => m.render())
        .join('') + process_
    )
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
