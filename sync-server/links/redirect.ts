import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseShortCode } from '../../common/share/short-link'
import { trackedUrl } from '../../common/share/tracked-link'
import type { Logger } from '../log'
import type { WorkspaceStore } from '../persistence/workspace-store'
import type { RoomManager } from '../rooms/room-manager'
import { isBot, uaFamily } from './bots'
import type { LinkIndexer } from './indexer'
import type { LinkStore } from './link-store'

export type RedirectDeps = {
  links: LinkStore
  indexer: LinkIndexer
  rooms: RoomManager
  workspaces: WorkspaceStore
  log: Logger
}

const NOT_FOUND_PAGE =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Link not found</title>' +
  '<p>This link is not known here. It may have been mistyped.</p></html>\n'

function notFound(res: ServerResponse): void {
  res.writeHead(404, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(NOT_FOUND_PAGE),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'",
  })
  res.end(NOT_FOUND_PAGE)
}

/**
 * `GET /s/<code>`: redirect to the item the code names, with the share's four UTM parameters.
 * The path is matched as sent, never decoded, and the Location is built only from the relay's
 * own link_items row: nothing of the request can choose where the visitor goes. Returns false
 * for paths outside `/s/`.
 */
export function createRedirect(
  deps: RedirectDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const raw = req.url ?? '/'
    if (!raw.startsWith('/s/')) return false
    const code = parseShortCode(raw.slice(3).split('?', 1)[0] ?? '')
    if ((req.method !== 'GET' && req.method !== 'HEAD') || code === null) {
      req.resume()
      notFound(res)
      return true
    }
    resolve(deps, code.workspaceId, code.itemId).then(
      async (target) => {
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
          // Counted before the answer (a redirected click is a stored one); a storage failure
          // loses the count, never the visitor's way to the item.
          await deps.links
            .recordClick({
              workspaceId: code.workspaceId,
              shareId: code.shareId,
              itemId: code.itemId,
              network: code.network,
              ip: req.socket.remoteAddress ?? '',
              uaFamily: uaFamily(ua ?? ''),
              at: new Date(),
            })
            .catch((error: unknown) =>
              deps.log.error('click not counted', { error: (error as Error).message }),
            )
        }
        res.writeHead(302, {
          location,
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'content-length': 0,
        })
        res.end()
      },
      (error: unknown) => {
        deps.log.error('short link failed', { error: (error as Error).message })
        if (!res.headersSent) notFound(res)
      },
    )
    return true
  }
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
