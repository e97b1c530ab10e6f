import type { HandlerGroup } from './types'

/** My results (issue 9): clicks and conversions of my shares, read from SQLite. */
export const resultsHandlers: HandlerGroup<'results.mine'> = {
  'results.mine': (ctx) => ctx.results.mine(ctx.store.settings.get(), new Date(ctx.now())),
}
