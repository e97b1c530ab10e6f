import { MAX_RESULTS_SHARES, MyResults } from '../../../common/model/results'
import type { Clock, Disposable } from '../lifecycle'
import { MutableDisposable, SerialRunner } from '../lifecycle'
import { relayApiUrl } from '../shares/relay-api'
import type { StoredSession } from '../store/session'
import type { ResultsStore } from './results-store'

/** Clicks trickle in for days after a share: asking every ten minutes is plenty. */
export const RESULTS_EVERY_MS = 10 * 60_000
const MIN_BACKOFF_MS = 30_000
const MAX_BACKOFF_MS = 30 * 60_000
const REQUEST_TIMEOUT_MS = 15_000
/** At most this many of my newest shares per round (older ones rarely get new clicks). */
const MAX_SHARES_PER_ROUND = 5 * MAX_RESULTS_SHARES

export type ResultsFetcherOptions = {
  clock: Clock
  store: ResultsStore
  /** HMAC(device secret, share id): the proof my share reports carried (ShareStore.proof). */
  proof: (shareId: string) => string
  session: () => StoredSession | null
  /** New figures are in SQLite: the windows re-read My stats. */
  changed: () => void
  log: (line: string) => void
  /** The leaderboard opt-in as set in Settings (sent to the relay when it differs). */
  leaderboardOptIn?: () => boolean
  everyMs?: number
  minBackoffMs?: number
  maxBackoffMs?: number
  fetcher?: typeof fetch
}

/**
 * Fetches the clicks and conversions of my shares from the relay (`POST /api/v1/results/mine`,
 * proving ownership share by share) into SQLite: after each sync and every ten minutes, backing
 * off while the relay cannot be reached or refuses. Never throws; figures stay what SQLite holds.
 */
export class ResultsFetcher implements Disposable {
  private readonly timer = new MutableDisposable()
  private readonly rounds = new SerialRunner({
    run: () => this.round(),
    before: () => this.timer.clear(),
    after: () => this.schedule(),
    stopped: () => this.disposed,
    failed: (error) => this.options.log(`results: round failed: ${errorText(error)}`),
  })
  private failures = 0
  private disposed = false
  private readonly abort = new AbortController()

  constructor(private readonly options: ResultsFetcherOptions) {}

  /** Fetch now (after sync, or a share delivered); a fetch under way is followed by another. */
  kick(): void {
    this.rounds.kick()
  }

  /** Settings changed: send the leaderboard choice now if the relay does not have it yet. */
  settingsChanged(): void {
    // A round under way may be sending the previous choice: check again once it is done.
    this.rounds.againIfRunning()
    const session = this.options.session()
    if (session && this.leaderboardPending(session.claims.ws) !== null) this.kick()
  }

  /** The choice to send, or null when the relay has it (never opted in: nothing to send). */
  private leaderboardPending(workspaceId: string): boolean | null {
    const wanted = this.options.leaderboardOptIn?.() ?? false
    const sent = this.options.store.leaderboardSent(workspaceId)
    return wanted === (sent ?? false) ? null : wanted
  }

  /** Resolves when the fetch under way (if any) is done; for tests. */
  idle(): Promise<void> {
    return this.rounds.idle()
  }

  dispose(): void {
    this.disposed = true
    this.abort.abort()
    this.timer.dispose()
  }

  private schedule(): void {
    const o = this.options
    const delay =
      this.failures === 0
        ? (o.everyMs ?? RESULTS_EVERY_MS)
        : Math.min(
            o.maxBackoffMs ?? MAX_BACKOFF_MS,
            (o.minBackoffMs ?? MIN_BACKOFF_MS) * 2 ** (this.failures - 1),
          )
    this.timer.value = o.clock.setTimeout(() => this.kick(), delay)
  }

  private async round(): Promise<void> {
    try {
      // Inside the try: a session or store read that throws is a failed round (backed off).
      const session = this.options.session()
      if (!session) return
      const ids = this.options.store
        .reportedShareIds(session.claims.ws)
        .slice(0, MAX_SHARES_PER_ROUND)
      const optIn = this.leaderboardPending(session.claims.ws)
      if (optIn !== null) await this.sendLeaderboard(session, optIn, ids)
      if (ids.length === 0) return
      for (let i = 0; i < ids.length; i += MAX_RESULTS_SHARES) {
        const batch = ids.slice(i, i + MAX_RESULTS_SHARES)
        const results = await this.fetchBatch(session, batch)
        if (this.disposed) return
        this.options.store.replace(batch, results, new Date(this.options.clock.now()))
      }
      this.failures = 0
      this.options.changed()
    } catch (error) {
      if (this.disposed) return
      this.failures++
      this.options.log(`results: ${errorText(error)}`)
    }
  }

  /** Opting in links my shares so far (newest, with proofs); opting out removes every link. */
  private async sendLeaderboard(
    session: StoredSession,
    optIn: boolean,
    ids: readonly string[],
  ): Promise<void> {
    const fetcher = this.options.fetcher ?? fetch
    const shares = optIn
      ? ids.slice(0, MAX_RESULTS_SHARES).map((id) => ({ id, proof: this.options.proof(id) }))
      : []
    const response = await fetcher(relayApiUrl(session.relayUrl, 'leaderboard'), {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ optIn, shares }),
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    })
    const answer = (await response.json().catch(() => null)) as { optedIn?: unknown } | null
    if (!response.ok || answer?.optedIn !== optIn) {
      throw new Error(`leaderboard choice not taken (HTTP ${response.status})`)
    }
    this.options.store.setLeaderboardSent(
      session.claims.ws,
      optIn,
      new Date(this.options.clock.now()),
    )
  }

  private async fetchBatch(session: StoredSession, ids: readonly string[]): Promise<MyResults> {
    const fetcher = this.options.fetcher ?? fetch
    const response = await fetcher(relayApiUrl(session.relayUrl, 'results/mine'), {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ shares: ids.map((id) => ({ id, proof: this.options.proof(id) })) }),
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    })
    if (!response.ok) {
      await response.body?.cancel()
      throw new Error(`relay answered HTTP ${response.status}`)
    }
    // Not the relay's answer (a captive portal's page): nothing is replaced.
    const parsed = MyResults.safeParse(await response.json().catch(() => null))
    if (!parsed.success) throw new Error('not a results answer')
    return parsed.data
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
