import { lazy } from 'react'

/**
 * The popover's views other than the queue, each in its own chunk: the first screen (the queue)
 * parses and runs only its own code. They are fetched once the first rows are painted (or on
 * demand, if the person is quicker), so opening one later costs no round trip to the disk.
 */
const loaders = {
  item: () => import('./ItemView'),
  join: () => import('./JoinView'),
  propose: () => import('./ProposeView'),
  settings: () => import('./SettingsView'),
  stats: () => import('./StatsView'),
}

export const ItemView = lazy(() => loaders.item().then((m) => ({ default: m.ItemView })))
export const JoinView = lazy(() => loaders.join().then((m) => ({ default: m.JoinView })))
export const ProposeView = lazy(() => loaders.propose().then((m) => ({ default: m.ProposeView })))
export const SettingsView = lazy(() =>
  loaders.settings().then((m) => ({ default: m.SettingsView })),
)
export const StatsView = lazy(() => loaders.stats().then((m) => ({ default: m.StatsView })))

let preloaded = false

/** Fetch and evaluate every view's chunk now (once): called after the first paint. */
export function preloadViews(): void {
  if (preloaded) return
  preloaded = true
  // A failed fetch is retried by React.lazy when the view is opened (and said there).
  for (const load of Object.values(loaders)) void load().catch(() => {})
}
