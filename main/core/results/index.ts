import type { Settings } from '../../../common/contract/api'
import type { MediaValue } from '../../../common/model/recognition'
import type { MyResultsStats } from '../../../common/model/results'
import type { Disposable } from '../lifecycle'
import { statsTimeZone } from '../shares/shares'
import type { Db } from '../store/database'
import type { QueueTable } from '../store/queue-table'
import { computeMyStats } from './my-stats'
import { ResultsFetcher, type ResultsFetcherOptions } from './results-fetcher'
import { ResultsStore } from './results-store'

export { ResultsFetcher } from './results-fetcher'
export { ResultsStore } from './results-store'

/** My results: fetched from the relay into SQLite, read from SQLite (offline too). */
export class MyResultsService implements Disposable {
  readonly store: ResultsStore
  readonly fetcher: ResultsFetcher

  constructor(
    db: Db,
    private readonly queue: QueueTable,
    private readonly options: Omit<ResultsFetcherOptions, 'store'>,
  ) {
    this.store = new ResultsStore(db)
    this.fetcher = new ResultsFetcher({ ...options, store: this.store })
  }

  /** My stats for the joined workspace (none joined: no shares to count). */
  mine(settings: Settings, now: Date, mediaValue: MediaValue | null = null): MyResultsStats {
    const ws = this.options.session()?.claims.ws ?? ''
    return computeMyStats({
      shares: this.store.shares(ws),
      clicks: this.store.clicks(ws),
      conversions: this.store.conversions(ws),
      titles: (itemId) => this.queue.get(itemId)?.title ?? null,
      audience: settings.audience ?? {},
      fetchedAt: this.store.fetchedAt(),
      now,
      timeZone: statsTimeZone(settings),
      mediaValue,
    })
  }

  dispose(): void {
    this.fetcher.dispose()
  }
}
