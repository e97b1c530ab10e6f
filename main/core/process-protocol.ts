// zod/mini: the utility process validates main's `open` before the first screen is answered,
// and zod's full build (loaded with the contract) would be compiled on that path (start.ts).
import * as z from 'zod/mini'

/**
 * Messages between Electron main and the core's utility process (over `process.parentPort`).
 * Windows' own traffic never goes through here: each window gets a MessagePort that main
 * transfers with an `attach` message, and the contract flows over that port.
 */
export const ParentMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('open'),
    dataDir: z.string().check(z.minLength(1)),
    /** The OS's preferred languages (app.getPreferredSystemLanguages): 'system' for the core. */
    systemLanguages: z.optional(z.array(z.string().check(z.maxLength(100))).check(z.maxLength(50))),
  }),
  /** Carries one MessagePort in `ports[0]`: a window's end of the contract. */
  z.object({ type: z.literal('attach') }),
  z.object({ type: z.literal('close') }),
  /** Main's answer to `open-external` `id`: error null when the page opened. */
  z.object({
    type: z.literal('opened'),
    id: z.number().check(z.int()),
    error: z.nullable(z.string().check(z.maxLength(2_000))),
  }),
])
export type ParentMessage = z.infer<typeof ParentMessage>

export const ChildMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('error'), message: z.string() }),
  z.object({ type: z.literal('closed') }),
  /**
   * Open a share page in the default browser (or a mailto: draft in the mail app). The core has
   * already checked it is http(s) or mailto:; main checks again (isExternalUrlAllowed) before
   * shell.openExternal, since main must not trust a child process.
   */
  z.object({
    type: z.literal('open-external'),
    /** Main answers with `opened` and this id, so a page that failed to open takes the share back. */
    id: z.number().check(z.int()),
    url: z.string().check(z.minLength(1), z.maxLength(32_768)),
  }),
])
export type ChildMessage = z.infer<typeof ChildMessage>
