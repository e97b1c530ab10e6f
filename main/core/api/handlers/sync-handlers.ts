import type { HandlerGroup } from './types'

/** What a person can do about sync itself. */
export const syncHandlers: HandlerGroup<'doc.discardRefused'> = {
  /**
   * A change the relay refused is never resent in a loop (the link stops); this drops it, with
   * this device's unsent state of that document, and syncs the document again from the relay.
   */
  'doc.discardRefused': (ctx) => {
    ctx.joined()
    return { discarded: ctx.discardRefused() }
  },
}
