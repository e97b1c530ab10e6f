import type { QueueEntry, Settings, ShareOutcome } from '../../../common/contract/api'
import { ContractError } from '../../../common/contract/messages'
import { readPublicUrl } from '../../../common/doc/directory-doc'
import { newId } from '../../../common/model/ids'
import type { Item } from '../../../common/model/item'
import type { Network } from '../../../common/model/networks'
import {
  type NewProposal,
  type PersonalStats,
  ProposalSubmission,
  type ProposalView,
  type ShareEvent,
} from '../../../common/model/share'
import {
  clipboardText,
  newShareId,
  ShareError,
  sharePagePrefillsCaption,
  shareTarget,
  trackedUrl,
} from '../../../common/share'
import { shortLink } from '../../../common/share/short-link'
import { type QueueForMeFilter, queueForMe } from '../queue/for-me'
import { isLive } from '../queue/ranking'
import { computeStats } from '../stats/personal-stats'
import { itemFromJson, type QueueTable } from '../store/queue-table'
import type { StoredSession } from '../store/session'
import type { Joined } from '../workspace'
import { assertOpenable, type Opener, OpenerRefusedError } from './opener'
import type { OutboxSender } from './outbox-sender'
import type { OutboxState, Owner, ShareRow, ShareStore } from './share-store'

export type SharesDeps = {
  table: ShareStore
  queue: QueueTable
  opener: Opener
  sender: OutboxSender
  /** My shares or proposals changed: tell the windows (`shares`: the shares themselves did). */
  changed: (what: { shares: boolean }) => void
  log: (line: string) => void
}

function ownerOf(joined: Pick<Joined, 'session'>): Owner {
  return { workspaceId: joined.session.claims.ws, memberId: joined.session.claims.sub }
}

/**
 * The link a share publishes: `<public-url>/s/<code>` when the relay publishes a public address
 * in the directory (clicks are counted there, then redirected to the item with the four UTM
 * parameters), else the direct UTM link. The code is minted here, offline, from ids only. The
 * direct link is built either way: it checks that the item's URL may be shared at all.
 */
function linkFor(
  joined: Joined,
  item: Item,
  options: { network: Network; campaign: string | null; shareId: string },
): string {
  const direct = trackedUrl(item.url, options)
  const publicUrl = readPublicUrl(joined.sync.docs.directory)
  if (publicUrl === null) return direct
  try {
    return shortLink(publicUrl, {
      workspaceId: joined.session.claims.ws,
      itemId: item.id,
      network: options.network,
      shareId: options.shareId,
    })
  } catch {
    // An id outside the code's alphabet (an old item): the direct link still works.
    return direct
  }
}

/** The person's time zone: the one set in Settings, else the system's. */
export function statsTimeZone(settings: Settings): string {
  return settings.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone
}

/**
 * The employee's side of the core: sharing, my queue, my stats, my proposals. Everything here
 * works offline; what the relay must learn goes through the outbox.
 */
export class Shares {
  constructor(private readonly deps: SharesDeps) {}

  /** Entries of this member still waiting for the relay (0 when no workspace is joined). */
  pendingOutbox(session: StoredSession | null): number {
    return session ? this.deps.table.pendingCount(ownerOf({ session })) : 0
  }

  /**
   * The live queue, most relevant first (queue/for-me.ts): SQLite alone, so the session is
   * enough; the replicas need not be loaded.
   */
  forMe(joined: Pick<Joined, 'session'>, filter: QueueForMeFilter, now: Date): QueueEntry[] {
    const source = {
      queue: this.deps.queue,
      shared: this.deps.table.sharedNetworks(joined.session.claims.ws),
      memberId: joined.session.claims.sub,
    }
    return queueForMe(source, filter, now)
  }

  /**
   * Record the share (with its outbox entry) in one transaction, then open the network's share
   * page. If the page cannot be opened the share did not happen and is taken back.
   */
  async perform(
    joined: Joined,
    params: { itemId: string; network: Network; text: string },
    settings: Settings,
    now: Date,
  ): Promise<ShareOutcome> {
    const { itemId, network, text } = params
    const item = this.deps.queue.get(itemId)
    if (!item || !isLive(item, now)) {
      throw new ContractError(
        'not_found',
        `Item "${itemId}" is not in your queue (not published yet, expired or withdrawn)`,
      )
    }
    const campaign = item.campaignId ? this.deps.queue.campaigns().get(item.campaignId) : undefined
    const shareId = newShareId()
    let tracked: string
    let target: string
    try {
      tracked = linkFor(joined, item, { network, campaign: campaign?.name ?? null, shareId })
      target = shareTarget(network, {
        url: tracked,
        text,
        title: item.title,
        mastodonInstance: settings.mastodonInstance,
      }).url
      assertOpenable(target)
    } catch (error) {
      if (error instanceof ShareError || error instanceof OpenerRefusedError) {
        throw new ContractError('bad_request', error.message)
      }
      throw error
    }
    const sharedAt = now.toISOString()
    const event: ShareEvent = {
      id: shareId,
      itemId: item.id,
      network,
      objective: item.objective,
      campaignId: item.campaignId,
      sharedAt,
    }
    this.deps.table.recordShare(ownerOf(joined), event, sharedAt)
    try {
      await this.deps.opener.open(target)
    } catch (error) {
      const retracted = this.deps.table.retractShare(shareId, this.deps.sender.inFlight)
      const why = error instanceof Error ? error.message : String(error)
      this.deps.log(`share: could not open the share page (${why}); retracted: ${retracted}`)
      throw new ContractError('unavailable', `Could not open the ${network} share page: ${why}`)
    }
    this.deps.changed({ shares: true })
    this.deps.sender.kick()
    return {
      shareId,
      trackedUrl: tracked,
      targetUrl: target,
      clipboardText: clipboardText(network, text, tracked),
      pasteNeeded: !sharePagePrefillsCaption(network),
      sharedAt,
    }
  }

  /** Every share recorded on this device, oldest first (the account export). */
  recorded(): ShareRow[] {
    const byTime = (a: ShareRow, b: ShareRow) =>
      a.sharedAt < b.sharedAt ? -1 : a.sharedAt > b.sharedAt ? 1 : 0
    return this.deps.table.allShares().sort(byTime)
  }

  statsMine(settings: Settings, now: Date): PersonalStats {
    const records = this.deps.table.allShares()
    return computeStats(records, now, statsTimeZone(settings))
  }

  createProposal(joined: Joined, proposal: NewProposal, now: Date): ProposalView {
    const submission = ProposalSubmission.parse({
      ...proposal,
      id: newId('prop'),
      proposedAt: now.toISOString(),
    })
    this.deps.table.recordProposal(ownerOf(joined), submission, submission.proposedAt)
    this.deps.changed({ shares: false })
    this.deps.sender.kick()
    return { ...submission, state: 'sending', reason: null, decidedAt: null }
  }

  /**
   * My proposals with their fate: 'sending' until the relay has them; then the queue item the
   * relay created under the same id says whether champions approved or rejected it.
   */
  listMine(joined: Joined): ProposalView[] {
    const views: ProposalView[] = []
    for (const record of this.deps.table.proposals(ownerOf(joined))) {
      const parsed = ProposalSubmission.safeParse(record.submission)
      if (!parsed.success) continue
      const item = record.itemJson === null ? null : itemFromJson(record.itemJson)
      views.push(viewOf(parsed.data, record.outbox, item))
    }
    return views
  }
}

function viewOf(
  submission: ProposalSubmission,
  outbox: OutboxState | null,
  item: Item | null,
): ProposalView {
  const base = { ...submission, reason: null, decidedAt: null }
  if (outbox?.state === 'pending') return { ...base, state: 'sending' }
  if (outbox?.state === 'failed') {
    // The relay refused it for good: the author must know it will not reach anyone.
    return {
      ...base,
      state: 'rejected',
      reason: `Not accepted by the relay: ${outbox.lastError}`,
    }
  }
  if (item?.moderation) {
    const { decision, reason, at } = item.moderation
    return decision === 'approved'
      ? { ...base, state: 'approved', decidedAt: at }
      : { ...base, state: 'rejected', reason: reason ?? null, decidedAt: at }
  }
  if (item && (item.status === 'approved' || item.status === 'published')) {
    return { ...base, state: 'approved' }
  }
  return { ...base, state: 'pending' }
}
