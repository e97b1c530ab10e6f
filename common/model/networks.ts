import { z } from 'zod'
import { lazySchema } from './lazy'
import { NETWORKS } from './network-list'

export { NETWORKS } from './network-list'
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
