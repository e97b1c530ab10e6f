import type { IncomingMessage, ServerResponse } from 'node:http'
import type { LinkStore } from '../links/link-store'
import type { ResultsStore } from '../links/results-store'
import type { Logger } from '../log'
import type { ShareStore } from '../persistence/share-store'
import type { WorkspaceStore } from '../persistence/workspace-store'
import type { RoomManager } from '../rooms/room-manager'
import { AccessRefused, postRenewToken } from './auth'
import { CAMPAIGN_KEYS_PATH, postConversion, postConversionKey } from './conversions'
import { postLeaderboard } from './leaderboard'
import { deleteMe } from './members'
import { getMyProposals, postProposal } from './proposals'
import { ApiError, sendError } from './respond'
import { postMyResults } from './results'
import { getSharesSummary, postShares } from './shares'

export type ApiDeps = {
  secret: string
  workspaces: WorkspaceStore
  shares: ShareStore
  links: LinkStore
  results: ResultsStore
  rooms: RoomManager
  log: Logger
  /** Lifetime of the device tokens POST /api/v1/token/renew hands out. */
  deviceTokenSeconds: number
  /** DELETE /api/v1/members/me ran: re-check live sockets and prune directories at once. */
  onMemberDeleted?: () => void
}

type Route = {
  method: 'GET' | 'POST' | 'DELETE'
  run: (req: IncomingMessage, res: ServerResponse, deps: ApiDeps) => Promise<void>
}

const ROUTES: Record<string, Route> = {
  '/api/v1/shares': { method: 'POST', run: postShares },
  '/api/v1/shares/summary': { method: 'GET', run: getSharesSummary },
  '/api/v1/proposals': { method: 'POST', run: postProposal },
  '/api/v1/proposals/mine': { method: 'GET', run: getMyProposals },
  '/api/v1/token/renew': { method: 'POST', run: postRenewToken },
  '/api/v1/results/mine': { method: 'POST', run: postMyResults },
  '/api/v1/leaderboard': { method: 'POST', run: postLeaderboard },
  '/api/v1/conversions': { method: 'POST', run: postConversion },
  '/api/v1/members/me': { method: 'DELETE', run: deleteMe },
}

/** `/api/v1/campaigns/<id>/conversion-keys`: the one route with an id in its path. */
const CAMPAIGN_KEYS_ROUTE: Route = { method: 'POST', run: postConversionKey }

/**
 * The relay's HTTP API under `/api/v1/`. Returns false for other paths (the server answers
 * those). Every failure is a JSON `{ error: { code, message } }` and a log line.
 */
export function createApi(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    if (!path.startsWith('/api/')) return false
    const route = Object.hasOwn(ROUTES, path)
      ? ROUTES[path]
      : CAMPAIGN_KEYS_PATH.test(path)
        ? CAMPAIGN_KEYS_ROUTE
        : undefined
    const fail = (error: ApiError) => {
      deps.log.warn('api request refused', {
        method: req.method,
        path,
        status: error.status,
        reason: error.message.slice(0, 300),
      })
      if (error.status === 401) res.setHeader('www-authenticate', 'Bearer')
      // The core maps this to the message it shows (expired, revoked, wrong relay…).
      if (error instanceof AccessRefused) res.setHeader('x-porte-voix-problem', error.problem)
      if (error.status === 413) {
        // Do not read the rest of an oversized body: answer and hang up.
        res.setHeader('connection', 'close')
      } else {
        req.resume()
      }
      if (!res.headersSent) sendError(res, error)
    }
    if (!route) {
      fail(new ApiError(404, 'not_found', `no API endpoint ${path}`))
      return true
    }
    if (req.method !== route.method) {
      res.setHeader('allow', route.method)
      fail(new ApiError(405, 'method_not_allowed', `use ${route.method} for ${path}`))
      return true
    }
    route.run(req, res, deps).catch((error: unknown) => {
      if (error instanceof ApiError) {
        fail(error)
        return
      }
      deps.log.error('api request failed', {
        method: req.method,
        path,
        error: (error as Error).message,
      })
      if (!res.headersSent) sendError(res, new ApiError(500, 'internal', 'internal error'))
    })
    return true
  }
}
