import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseShortCode } from '../../common/share/short-link'
import { trackedUrl } from '../../common/share/tracked-link'
import type { Logger } from '../log'
import type { WorkspaceStore } from '../persistence/workspace-store'
import type { RoomManager } from '../rooms/room-manager'
import { isBot, uaFamily } from './bots'
import { ClickQueue } from './click-queue'
import type { LinkIndexer } from './indexer'
import { DAY_MS, type LinkStore, type LinkTarget } from './link-store'

export type RedirectDeps = {
  links: LinkStore
  indexer: LinkIndexer
  rooms: RoomManager
  workspaces: WorkspaceStore
  log: Logger
  /** How long a target lookup or a click write may take before the storage counts as down. */
  storageWaitMs?: number
  /** Clicks held while the click store is down (default CLICK_QUEUE_MAX). */
  clickQueueMax?: number
}

/** The redirect handler, and what it holds while storage is down. */
export type Redirect = ((req: IncomingMessage, res: ServerResponse) => boolean) & {
  readonly clicks: ClickQueue
  /** Write the queued clicks (a last attempt) before the stores close. */
  close(): Promise<void>
}

const NOT_FOUND_PAGE =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Link not found</title>' +
  '<p>This link is not known here. It may have been mistyped.</p></html>\n'

const UNAVAILABLE_PAGE =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Try again shortly</title>' +
  '<p>This link works, but cannot be followed right now. Please try again in a few seconds.</p></html>\n'

/** Seconds a visitor (or a crawler) is told to wait when storage is down. */
export const RETRY_AFTER_S = 5

function page(res: ServerResponse, status: number, body: string, extra: Record<string, string>) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'",
    ...extra,
  })
  res.end(body)
}

function notFound(res: ServerResponse): void {
  page(res, 404, NOT_FOUND_PAGE, {})
}

/** Storage down and nothing known here: the link may well exist, so not a 404. */
function unavailable(res: ServerResponse): void {
  page(res, 503, UNAVAILABLE_PAGE, { 'retry-after': String(RETRY_AFTER_S) })
}

class StorageWait extends Error {}

/** `promise`, or a StorageWait rejection after `ms` (the promise keeps running). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StorageWait('storage too slow')), ms)
      timer.unref()
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * Targets this node last read from link_items, used only while that read fails (PostgreSQL down
 * or slow): a visitor following a link this node has served still reaches the item, at the URL
 * link_items held at that last read (an item's URL rarely changes; rows are kept after archive),
 * at most a day old. A link not served here recently gets 503 + Retry-After: it is not known
 * not to exist, so a 404 would be a lie. Bounded (least recently used out first).
 */
class TargetCache {
  readonly #entries = new Map<string, { target: LinkTarget; at: number }>()
  constructor(private readonly max: number) {}
  get(key: string): LinkTarget | undefined {
    const entry = this.#entries.get(key)
    if (!entry || Date.now() - entry.at > DAY_MS) return undefined
    return entry.target
  }
  set(key: string, target: LinkTarget | null): void {
    this.#entries.delete(key)
    if (!target) return
    this.#entries.set(key, { target, at: Date.now() })
    if (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
  }
}

/**
 * `GET /s/<code>`: redirect to the item the code names, with the share's four UTM parameters.
 * The path is matched as sent, never decoded, and the Location is built only from the relay's
 * own link_items row: nothing of the request can choose where the visitor goes. Returns false
 * for paths outside `/s/`.
 *
 * While storage is down or slow (issue 11 follow-up): a target this node served recently is
 * redirected to from its cache, others get 503 + Retry-After; a click that cannot be written is
 * queued (ClickQueue) and written once storage is back, and when the queue is full the visitor
 * gets 503 rather than a redirect whose click would be lost.
 */
export function createRedirect(deps: RedirectDeps): Redirect {
  const waitMs = deps.storageWaitMs ?? 2_000
  const targets = new TargetCache(10_000)
  const clicks = new ClickQueue(deps.links, deps.log, deps.clickQueueMax)

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    code: NonNullable<ReturnType<typeof parseShortCode>>,
  ) => {
    const key = `${code.workspaceId}\n${code.itemId}`
    let target: LinkTarget | null | undefined
    try {
      target = await within(resolve(deps, code.workspaceId, code.itemId), waitMs)
      targets.set(key, target)
    } catch (error) {
      target = targets.get(key)
      deps.log.warn('short link target from storage failed', {
        error: (error as Error).message,
        cached: target !== undefined,
      })
      if (!target) {
        unavailable(res)
        return
      }
    }
    if (!target) {
      notFound(res)
      return
    }
    const location = trackedUrl(target.url, {
      network: code.network,
      campaign: target.campaignSlug,
      shareId: code.shareId,
    })
    const ua = req.headers['user-agent']
    if (req.method === 'GET' && !isBot(ua)) {
      // Counted (written, or queued to be) before the answer: a redirected click is a counted one.
      const counted = await clicks.record(
        {
          // Its idempotency id: a write retried after a timeout is counted once.
          id: randomUUID(),
          workspaceId: code.workspaceId,
          shareId: code.shareId,
          itemId: code.itemId,
          network: code.network,
          ip: req.socket.remoteAddress ?? '',
          uaFamily: uaFamily(ua ?? ''),
          at: new Date(),
        },
        waitMs,
      )
      if (!counted) {
        deps.log.error('click queue full: short link answered 503', { queued: clicks.size })
        unavailable(res)
        return
      }
    }
    res.writeHead(302, {
      location,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-length': 0,
    })
    res.end()
  }

  const redirect = (req: IncomingMessage, res: ServerResponse): boolean => {
    const raw = req.url ?? '/'
    if (!raw.startsWith('/s/')) return false
    const code = parseShortCode(raw.slice(3).split('?', 1)[0] ?? '')
    if ((req.method !== 'GET' && req.method !== 'HEAD') || code === null) {
      req.resume()
      notFound(res)
      return true
    }
    handle(req, res, code).catch((error: unknown) => {
      deps.log.error('short link failed', { error: (error as Error).message })
      if (!res.headersSent) unavailable(res)
    })
    return true
  }
  return Object.assign(redirect, { clicks, close: () => clicks.close() })
}

/**
 * The target from link_items. A workspace whose queue was not indexed since start (an item
 * published before this relay version) gets its queue loaded once; after that an unknown item
 * is a 404 with no document touched.
 */
async function resolve(deps: RedirectDeps, workspaceId: string, itemId: string) {
  const known = await deps.links.target(workspaceId, itemId)
  if (known || deps.indexer.indexed(workspaceId)) return known
  if (!(await deps.workspaces.getWorkspace(workspaceId))) return null
  await deps.rooms.with({ workspaceId, doc: 'queue' }, () => undefined)
  await deps.indexer.settled()
  return deps.links.target(workspaceId, itemId)
}
