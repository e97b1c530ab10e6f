import { type ProposalFate, ProposalFates } from '../../../common/model/proposal-fate'
import type { ProposalView } from '../../../common/model/share'
import type { StoredSession } from '../store/session'
import { relayApiUrl } from './relay-api'

/**
 * An employee does not sync the curation document where proposals are reviewed (it would hold
 * colleagues' proposals and the champions' reasons), so the author's core asks the relay for the
 * fate of its own proposals: `GET /api/v1/proposals/mine`. The last answer is kept per member,
 * so the list still shows decisions while the relay is out of reach.
 */
const REQUEST_TIMEOUT_MS = 3_000
const known = new Map<string, Map<string, ProposalFate>>()

function keyOf(session: StoredSession): string {
  return `${session.relayUrl}|${session.claims.ws}|${session.claims.sub}`
}

/** Ask the relay; on any failure keep what was known (never throws). */
export async function refreshFates(
  session: StoredSession,
  fetcher: typeof fetch = fetch,
): Promise<ReadonlyMap<string, ProposalFate>> {
  const key = keyOf(session)
  try {
    const response = await fetcher(relayApiUrl(session.relayUrl, 'proposals/mine'), {
      headers: { authorization: `Bearer ${session.token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    if (response.ok) {
      const parsed = ProposalFates.safeParse(await response.json())
      if (parsed.success) known.set(key, new Map(parsed.data.proposals.map((f) => [f.id, f])))
    } else await response.body?.cancel()
  } catch {
    // Offline, or not the relay's answer: the last known fates stand.
  }
  return known.get(key) ?? new Map()
}

/** Forget a member's fates (leaving the workspace). */
export function forgetFates(session: StoredSession): void {
  known.delete(keyOf(session))
}

/**
 * The author's views with the relay's decisions: a proposal the relay has ('pending' here, or
 * approved without the details) takes its decision and reason from the relay's answer.
 */
export function withFates(
  views: readonly ProposalView[],
  fates: ReadonlyMap<string, ProposalFate>,
): ProposalView[] {
  return views.map((view) => {
    const fate = fates.get(view.id)
    if (!fate || view.state === 'sending' || view.decidedAt !== null) return view
    const moderation = fate.moderation
    if (fate.state === 'rejected') {
      return {
        ...view,
        state: 'rejected',
        reason: moderation?.reason ?? null,
        decidedAt: moderation?.at ?? null,
      }
    }
    if (fate.state === 'approved') {
      return { ...view, state: 'approved', decidedAt: moderation?.at ?? null }
    }
    return view
  })
}

/** While some of my proposals await a decision, ask the relay this often (a few hundred bytes). */
export const FATE_POLL_MS = 10_000

export type FateWatchOptions = {
  clock: { setTimeout(fn: () => void, delayMs: number): { dispose(): void | Promise<void> } }
  /** The joined session, or null. */
  session: () => StoredSession | null
  /** My proposals as the core lists them (with what the relay said so far). */
  views: () => readonly ProposalView[]
  /** A fate changed: the windows re-list my proposals. */
  changed: () => void
  everyMs?: number
}

export type FateWatch = {
  /** My proposals may have changed (one made, delivered, joined): poll again if one awaits. */
  kick(): void
  dispose(): void
}

/**
 * The decision on a proposal used to reach its author through the queue document; it is now in
 * curation, which the author does not hold. While a proposal of mine is delivered and undecided,
 * the core asks the relay now and then, and says so when a fate changed. With none awaiting, no
 * timer is armed (a core at rest wakes only for what it scheduled); kick() re-arms it.
 */
export function watchFates(options: FateWatchOptions): FateWatch {
  let timer: { dispose(): void | Promise<void> } | null = null
  let busy = false
  let disposed = false
  const everyMs = options.everyMs ?? FATE_POLL_MS

  /** What the core lists now, with the fates known so far, or null when not joined. */
  const current = (): { session: StoredSession; views: ProposalView[] } | null => {
    const session = options.session()
    if (!session) return null
    return { session, views: withFates(options.views(), known.get(keyOf(session)) ?? new Map()) }
  }
  const awaiting = (views: readonly ProposalView[]) => views.some((v) => v.state === 'pending')

  const arm = () => {
    if (disposed || timer || busy) return
    const now = current()
    if (!now || !awaiting(now.views)) return
    timer = options.clock.setTimeout(check, everyMs)
  }

  function check(): void {
    timer = null
    const now = current()
    if (!now || !awaiting(now.views)) return
    busy = true
    void refreshFates(now.session)
      .then((fates) => {
        if (disposed) return
        const after = withFates(options.views(), fates)
        if (JSON.stringify(after) !== JSON.stringify(now.views)) options.changed()
      })
      .finally(() => {
        busy = false
        // Still one awaiting: ask again later; none: stop until kick().
        arm()
      })
  }

  arm()
  return {
    kick: arm,
    dispose: () => {
      disposed = true
      void timer?.dispose()
      timer = null
    },
  }
}
