/**
 * Sizes and close codes the core and the relay must agree on, so that a change one side makes is
 * never one the other side refuses without saying why.
 */

/** The relay's default `--max-message-bytes`: a bigger frame is refused by its WebSocket layer. */
export const RELAY_MAX_MESSAGE_BYTES = 1024 * 1024

/**
 * The largest single local change a core sends. Well below the relay's frame limit: the frame
 * adds a few bytes, and an update sent while offline is merged into a sync step 2 with others.
 */
export const MAX_CHANGE_BYTES = 512 * 1024

/**
 * Close codes the relay uses when it refuses a change. The 4400–4499 range means "reconnecting
 * will not help": y-websocket does not retry, so a faulty client does not resend in a loop.
 * 1009 (RFC 6455 "message too big") is sent by the relay's WebSocket layer itself for a frame
 * over its limit, before the relay sees it; the core treats it like the others.
 */
export const RELAY_CLOSE = {
  changeTooLarge: 1009,
  /** An update that can never be integrated (refers to clients or clocks the doc lacks). */
  unintegrable: 4422,
  /** An update that breaks an item beyond repair (e.g. no id or link on a new item). */
  brokenSchema: 4423,
} as const
