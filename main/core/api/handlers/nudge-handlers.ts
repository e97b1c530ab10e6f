import type { HandlerGroup } from './types'

type NudgeMethods =
  | 'nudge.preview'
  | 'nudge.opened'
  | 'nudge.shared'
  | 'nudge.dismiss'
  | 'nudge.later'
  | 'system.changed'

/** Nudges: the next one and why, and what came of each (the model learns from outcomes). */
export const nudgeHandlers: HandlerGroup<NudgeMethods> = {
  'nudge.preview': (ctx) => ctx.nudges.preview(),
  'nudge.opened': (ctx, { id }) => {
    ctx.nudges.opened(id)
    return null
  },
  'nudge.shared': (ctx, { id }) => {
    ctx.nudges.shared(id)
    return null
  },
  'nudge.dismiss': (ctx, { id }) => {
    ctx.nudges.dismiss(id)
    return null
  },
  'nudge.later': (ctx, { id, until }) => ctx.nudges.later(id, until),
  'system.changed': (ctx, { what, timeZone }) => {
    ctx.environmentChanged(what, timeZone)
    return null
  },
}
