import { z } from 'zod'
import { lazySchema } from './lazy'

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
export const Network = lazySchema(() => z.enum(NETWORKS))
export type Network = z.infer<typeof Network>

/** The networks' names: brands, the same in every language, in both windows and in notifications. */
export const NETWORK_NAMES: Record<Network, string> = {
  linkedin: 'LinkedIn',
  x: 'X',
  facebook: 'Facebook',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
  whatsapp: 'WhatsApp',
  email: 'E-mail',
}
