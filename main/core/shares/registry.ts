import { ContractError } from '../../../common/contract/messages'
import type { CoreContext } from '../api/context'
import type { Shares } from './shares'

// Handlers only see the CoreContext; the core registers its Shares service here when it opens,
// so the context interface stays the spine's and other groups are not disturbed.
const services = new WeakMap<CoreContext, Shares>()

export function registerShares(ctx: CoreContext, shares: Shares): void {
  services.set(ctx, shares)
}

export function sharesOf(ctx: CoreContext): Shares {
  const shares = services.get(ctx)
  if (!shares) throw new ContractError('unavailable', 'Sharing is not available in this core')
  return shares
}
