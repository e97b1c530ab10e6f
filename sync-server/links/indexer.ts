import type * as Y from 'yjs'
import { campaignsMap, itemsMap } from '../../common/doc/queue-doc'
import { campaignSlug, parseWebLink } from '../../common/share/tracked-link'
import type { Logger } from '../log'
import type { Peer, Room } from '../rooms/room'
import type { Placed } from '../validation'
import type { LinkStore, LinkTarget } from './link-store'

/** Changes are indexed this long after the last one: a burst of keystrokes costs one pass. */
const INDEX_DEBOUNCE_MS = 250

/** The item fields targetsOf reads (a campaign's `name` too). */
const TARGET_FIELDS: ReadonlySet<string> = new Set(['url', 'campaignId', 'objective', 'sourceKind'])

/**
 * Whether `changes` may have moved a link target: an item or campaign added, replaced or
 * deleted, an item's url / campaign / objective / source kind, or a campaign's name. A keystroke
 * in a title, a caption or a `why` moves none (issue 11.3: the pass after each stored change was
 * ~4.5% of the relay's CPU with 500 busy rooms, for changes that were never links).
 */
export function movesTargets(changes: readonly Y.Transaction[]): boolean {
  for (const tr of changes) {
    if (tr.changed.size === 0) continue
    const items = tr.doc.share.get('items')
    const campaigns = tr.doc.share.get('campaigns')
    for (const [type, keys] of tr.changed) {
      if (type === items || type === campaigns) return true
      const parent = (type as unknown as Placed)._item?.parent
      if (parent === items) {
        for (const key of keys) if (key !== null && TARGET_FIELDS.has(key)) return true
      } else if (parent === campaigns && keys.has('name')) return true
    }
  }
  return false
}

/**
 * Item id → target from a queue doc's plain fields. Only published items are in the queue, and
 * only they can be shared; rows are never deleted, so links of archived items keep working.
 */
export function targetsOf(doc: Y.Doc): Map<string, LinkTarget> {
  const names = new Map<string, string>()
  for (const [id, campaign] of campaignsMap(doc)) {
    const name = campaign.get('name')
    if (typeof name === 'string') names.set(id, name)
  }
  const targets = new Map<string, LinkTarget>()
  for (const [id, map] of itemsMap(doc)) {
    const url = map.get('url')
    const campaignId = map.get('campaignId')
    const objective = map.get('objective')
    const sourceKind = map.get('sourceKind')
    if (typeof url !== 'string') continue
    try {
      parseWebLink(url)
    } catch {
      continue
    }
    const campaign = typeof campaignId === 'string' ? campaignId : null
    targets.set(id, {
      url,
      campaignId: campaign,
      campaignSlug: campaignSlug(campaign === null ? null : (names.get(campaign) ?? null)),
      objective: typeof objective === 'string' ? objective : 'awareness',
      sourceKind: typeof sourceKind === 'string' ? sourceKind : 'other',
    })
  }
  return targets
}

/**
 * The room hook that keeps link_items current: index the queue when it loads, then after every
 * stored change. It listens as a silent peer (rooms send peers only what is already stored), so
 * no click ever loads a document.
 */
export class LinkIndexer {
  readonly #links: LinkStore
  readonly #log: Logger
  readonly #indexed = new Set<string>()
  readonly #writes = new Set<Promise<void>>()
  /** What was last written for each loaded queue: most stored changes move no target. */
  readonly #written = new WeakMap<Room, string>()

  constructor(links: LinkStore, log: Logger) {
    this.#links = links
    this.#log = log
  }

  /** Whether a workspace's queue was indexed since the relay started. */
  indexed(workspaceId: string): boolean {
    return this.#indexed.has(workspaceId)
  }

  onLoad(room: Room): void {
    if (room.ref.doc !== 'queue') return
    this.#index(room)
    let timer: NodeJS.Timeout | null = null
    const peer: Peer = {
      id: -1,
      // Told that something was stored, not sent the updates (nor merged ones).
      notifyOnly: true,
      wants: movesTargets,
      send: () => {
        if (timer) return
        timer = setTimeout(() => {
          timer = null
          if (!room.broken) this.#index(room)
        }, INDEX_DEBOUNCE_MS)
        timer.unref()
      },
      close: () => room.removePeer(peer),
    }
    room.addPeer(peer)
  }

  #index(room: Room): void {
    const workspaceId = room.ref.workspaceId
    let targets: Map<string, LinkTarget>
    try {
      targets = targetsOf(room.doc)
    } catch (error) {
      this.#log.error('link indexing failed', { room: room.name, error: (error as Error).message })
      return
    }
    // A keystroke in a title changes no target: no read or write of link_items (a transaction
    // per queue every 250 ms while anyone types, 8% of the relay's CPU with 500 busy rooms).
    const key = JSON.stringify([...targets])
    if (this.#written.get(room) === key) return
    // The doc is read now (this turn); the write may finish later (PostgreSQL).
    const write = this.#links.putTargets(workspaceId, targets).then(
      (written) => {
        this.#written.set(room, key)
        this.#indexed.add(workspaceId)
        if (written > 0) this.#log.info('link targets indexed', { room: room.name, written })
      },
      (error: unknown) =>
        this.#log.error('link indexing failed', {
          room: room.name,
          error: (error as Error).message,
        }),
    )
    this.#writes.add(write)
    write.finally(() => this.#writes.delete(write))
  }

  /** Resolves once every index write started so far is done (a click after it finds its item). */
  async settled(): Promise<void> {
    await Promise.all([...this.#writes])
  }
}
