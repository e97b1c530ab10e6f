import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import { readCampaigns } from '../../common/doc/queue-doc'
import { Id } from '../../common/model/ids'
import { ShareId } from '../../common/model/share'
import type { ResultsStore } from '../links/results-store'
import type { Logger } from '../log'
import type { WorkspaceStore } from '../persistence/workspace-store'
import type { RoomManager } from '../rooms/room-manager'
import { authenticate, requireCurator } from './auth'
import { readJsonBody } from './body'
import { ApiError, sendJson } from './respond'

/** The header the company's sign-up system sends its campaign key in. */
export const CONVERSION_KEY_HEADER = 'x-porte-voix-conversion-key'
const MAX_CONVERSION_BODY = 8 * 1024

export const CAMPAIGN_KEYS_PATH = /^\/api\/v1\/campaigns\/([A-Za-z0-9_-]{3,64})\/conversion-keys$/

export const ConversionReport = z
  .object({
    idempotencyId: z.string().trim().min(1).max(200),
    /** The landing URL's utm_content if the sign-up form kept it; anything else is not a share. */
    utmContent: z.string().max(200).nullable().optional(),
    kind: z.string().trim().min(1).max(64),
    value: z.number().finite().nullable().optional(),
  })
  .strict()

export type ConversionDeps = {
  secret: string
  workspaces: WorkspaceStore
  results: ResultsStore
  rooms: RoomManager
  log: Logger
}

/** `POST /api/v1/campaigns/<id>/conversion-keys` (champions): a new key, shown once. */
export async function postConversionKey(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ConversionDeps,
): Promise<void> {
  const claims = await authenticate(req, deps.secret, deps.workspaces)
  requireCurator(claims, 'conversion keys')
  req.resume()
  const campaignId = CAMPAIGN_KEYS_PATH.exec((req.url ?? '').split('?')[0] ?? '')?.[1]
  if (!campaignId || !Id.safeParse(campaignId).success) {
    throw new ApiError(404, 'not_found', 'no such campaign')
  }
  const exists = await deps.rooms.with({ workspaceId: claims.ws, doc: 'queue' }, (room) =>
    readCampaigns(room.doc).campaigns.some((c) => c.id === campaignId),
  )
  if (!exists) throw new ApiError(404, 'not_found', `no campaign ${campaignId} in the queue`)
  const key = await deps.results.createConversionKey(claims.ws, campaignId, new Date())
  deps.log.info('conversion key created', { workspace: claims.ws, campaign: campaignId })
  sendJson(res, 201, { campaignId, key, header: CONVERSION_KEY_HEADER })
}

/**
 * `POST /api/v1/conversions` from the company's sign-up system: the key says which workspace and
 * campaign; a repeated idempotency id counts once; a wrong key is 401 and counts nothing.
 */
export async function postConversion(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ConversionDeps,
): Promise<void> {
  const header = req.headers[CONVERSION_KEY_HEADER]
  const scope = typeof header === 'string' ? await deps.results.keyScope(header.trim()) : null
  if (!scope)
    throw new ApiError(401, 'unauthorized', `send a valid campaign key in ${CONVERSION_KEY_HEADER}`)
  const report = await readJsonBody(req, ConversionReport, MAX_CONVERSION_BODY)
  const utm = report.utmContent ?? null
  const shareId = utm !== null && ShareId.safeParse(utm).success ? utm : null
  const result = await deps.results.recordConversion(
    scope,
    {
      idempotencyId: report.idempotencyId,
      shareId,
      kind: report.kind,
      value: report.value ?? null,
    },
    new Date(),
  )
  deps.log.info('conversion received', {
    workspace: scope.workspaceId,
    campaign: scope.campaignId,
    counted: result.counted,
  })
  sendJson(res, 200, result)
}
