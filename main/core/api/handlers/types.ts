import type * as Y from 'yjs'
import type { z } from 'zod'
import type { MethodName, Methods, Result } from '../../../../common/contract/api'
import { ContractError } from '../../../../common/contract/messages'
import { campaignsMap, itemsMap, readItem } from '../../../../common/doc/queue-doc'
import type { Item } from '../../../../common/model/item'
import { canCurate } from '../../../../common/model/member'
import type { CoreContext, Joined } from '../context'

export type Handler<M extends MethodName> = (
  ctx: CoreContext,
  params: z.output<Methods[M]['params']>,
) => Result<M> | Promise<Result<M>>

/** A group of handlers for some of the contract's methods (index.ts checks all are covered). */
export type HandlerGroup<Names extends MethodName> = { [M in Names]: Handler<M> }

/** Champions and admins write the queue; the relay enforces it too, this gives a clear error. */
export function curator(ctx: CoreContext, action: string): Joined {
  const joined = ctx.joined()
  if (!canCurate(joined.session.claims.role)) {
    throw new ContractError('forbidden', `Only champions and admins may ${action}`)
  }
  return joined
}

/** A patch's set fields only: `undefined` means "unchanged", never "erase". */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== undefined),
  ) as Partial<T>
}

/** Where an item lives: the queue (published) or curation (everything else). */
export type ItemHome = { name: 'queue' | 'curation'; doc: Y.Doc }

/** The document holding item `id` (queue first; curation only for curators), or not_found. */
export function itemHome(joined: Joined, id: string): ItemHome {
  const { docs } = joined.sync
  if (itemsMap(docs.queue).has(id)) return { name: 'queue', doc: docs.queue }
  if (joined.sync.access('curation') !== 'none' && itemsMap(docs.curation).has(id)) {
    return { name: 'curation', doc: docs.curation }
  }
  throw new ContractError('not_found', `No item "${id}" in the queue`)
}

export function readBack(joined: Joined, id: string): Item {
  const map = itemsMap(itemHome(joined, id).doc).get(id)
  if (!map) throw new ContractError('not_found', `No item "${id}" in the queue`)
  const result = readItem(map)
  if ('issues' in result) {
    throw new ContractError('conflict', `Item "${id}" is not valid: ${result.issues.join('; ')}`)
  }
  return result.item
}

export function requireItem(joined: Joined, id: string): ItemHome {
  return itemHome(joined, id)
}

/** Approve and reject apply to proposals still awaiting review, never to a decided item. */
export function requireSubmitted(joined: Joined, id: string): ItemHome {
  const home = itemHome(joined, id)
  const status = itemsMap(home.doc).get(id)?.get('status')
  if (status !== 'submitted') {
    throw new ContractError(
      'conflict',
      `Item "${id}" is not awaiting review (its status is ${String(status)}): it was already decided`,
    )
  }
  return home
}

export function requireCampaign(joined: Joined, id: string | null | undefined): void {
  if (id && !campaignsMap(joined.sync.docs.queue).has(id)) {
    throw new ContractError('not_found', `No campaign "${id}" in this workspace`)
  }
}
