import { readWorkspaceSettings } from '../../../../common/doc/queue-doc'
import type { CoreContext } from '../context'
import type { HandlerGroup } from './types'

/** The workspace's CPC/CPM when joined (earned media value), else null. */
function mediaValue(ctx: CoreContext) {
  if (ctx.status().session === null) return null
  return readWorkspaceSettings(ctx.joined().sync.docs.queue).value
}

/** My results (issue 9): clicks and conversions of my shares, read from SQLite. */
export const resultsHandlers: HandlerGroup<'results.mine' | 'results.refresh'> = {
  // Never fails: offline, My stats shows what SQLite holds (and says when it was fetched).
  'results.refresh': async (ctx) => {
    ctx.results.fetcher.kick()
    await ctx.results.fetcher.idle()
    return null
  },
  'results.mine': (ctx) =>
    ctx.results.mine(ctx.store.settings.get(), new Date(ctx.now()), mediaValue(ctx)),
}
