// Without zod: the core's quick first screen (main/core/queue/for-me.ts) orders networks with
// this list before any schema module loads.

/** The networks an employee can share to, in the order the popover shows them. */
export const NETWORKS = [
  'linkedin',
  'x',
  'facebook',
  'bluesky',
  'mastodon',
  'whatsapp',
  'email',
] as const
