import { z } from 'zod'
import { ContractError } from '../../../../common/contract/messages'
import { readBoard } from '../../../../common/doc/board-doc'
import {
  challengesMap,
  readChallenges,
  readWorkspaceSettings,
  removeChallenge,
  upsertChallenge,
  writeWorkspaceSettings,
} from '../../../../common/doc/queue-doc'
import { newId } from '../../../../common/model/ids'
import { Challenge, WorkspaceSettings } from '../../../../common/model/recognition'
import { parseOrThrow } from '../../../../common/model/validation'
import { computeMyRecognition, myScoredShares } from '../../board/recognition'
import { relayApiUrl } from '../../shares/relay-api'
import { API_ORIGIN } from '../context'
import { curator, type HandlerGroup, requireCampaign } from './types'

const REQUEST_TIMEOUT_MS = 15_000
const KeyAnswer = z.object({ key: z.string().min(8).max(200) })

/** The team's results (board), recognition, and the settings and challenges champions set. */
export const boardHandlers: HandlerGroup<
  | 'board.get'
  | 'recognition.mine'
  | 'workspace.settings.get'
  | 'workspace.settings.update'
  | 'challenge.list'
  | 'challenge.create'
  | 'challenge.update'
  | 'challenge.remove'
  | 'campaign.createConversionKey'
> = {
  'board.get': (ctx) => readBoard(ctx.joined().sync.docs.board),

  'recognition.mine': (ctx) => {
    const joined = ctx.joined()
    const ws = joined.session.claims.ws
    const store = ctx.results.store
    const shares = myScoredShares({
      shares: store.shares(ws),
      clicks: store.clicks(ws),
      conversions: store.conversions(ws),
      item: (itemId) => ctx.store.queue.get(itemId),
    })
    const queue = joined.sync.docs.queue
    return computeMyRecognition({
      shares,
      weights: readWorkspaceSettings(queue).points,
      challenges: readChallenges(queue).challenges,
      board: readBoard(joined.sync.docs.board),
      memberId: joined.session.claims.sub,
      optedIn: ctx.store.settings.get().leaderboardOptIn ?? false,
      now: new Date(ctx.now()),
    })
  },

  'workspace.settings.get': (ctx) => readWorkspaceSettings(ctx.joined().sync.docs.queue),

  'workspace.settings.update': (ctx, patch) => {
    const joined = curator(ctx, 'change the workspace settings')
    const doc = joined.sync.docs.queue
    const next = parseOrThrow(
      WorkspaceSettings,
      { ...readWorkspaceSettings(doc), ...patch },
      'workspace settings',
    )
    doc.transact(() => {
      writeWorkspaceSettings(doc, {
        ...(patch.points !== undefined ? { points: next.points } : {}),
        ...(patch.value !== undefined ? { value: next.value } : {}),
      })
    }, API_ORIGIN)
    return readWorkspaceSettings(doc)
  },

  'challenge.list': (ctx) => readChallenges(ctx.joined().sync.docs.queue).challenges,

  'challenge.create': (ctx, fields) => {
    const joined = curator(ctx, 'create challenges')
    requireCampaign(joined, fields.filter.campaignId)
    const challenge = parseOrThrow(Challenge, { ...fields, id: newId('chal') }, 'challenge')
    const doc = joined.sync.docs.queue
    doc.transact(() => upsertChallenge(doc, challenge), API_ORIGIN)
    return challenge
  },

  'challenge.update': (ctx, { id, patch }) => {
    const joined = curator(ctx, 'edit challenges')
    const doc = joined.sync.docs.queue
    const current = readChallenges(doc).challenges.find((c) => c.id === id)
    if (!current) {
      throw new ContractError(
        challengesMap(doc).has(id) ? 'conflict' : 'not_found',
        challengesMap(doc).has(id) ? `Challenge "${id}" is not valid` : `No challenge "${id}"`,
      )
    }
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
    const next = parseOrThrow(Challenge, { ...current, ...defined, id }, 'challenge')
    requireCampaign(joined, next.filter.campaignId)
    doc.transact(() => upsertChallenge(doc, next), API_ORIGIN)
    return next
  },

  'challenge.remove': (ctx, { id }) => {
    const joined = curator(ctx, 'remove challenges')
    const doc = joined.sync.docs.queue
    let removed = false
    doc.transact(() => {
      removed = removeChallenge(doc, id)
    }, API_ORIGIN)
    if (!removed) throw new ContractError('not_found', `No challenge "${id}"`)
    return null
  },

  // The relay mints the key and keeps only its hash: it is shown once, here.
  'campaign.createConversionKey': async (ctx, { campaignId }) => {
    const joined = curator(ctx, 'create conversion keys')
    requireCampaign(joined, campaignId)
    const { relayUrl, token } = joined.session
    let response: Response
    try {
      response = await fetch(relayApiUrl(relayUrl, `campaigns/${campaignId}/conversion-keys`), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    } catch (error) {
      throw new ContractError(
        'unavailable',
        `The relay could not be reached to create a conversion key (${(error as Error).message})`,
      )
    }
    const answer = await response.json().catch(() => null)
    if (!response.ok) {
      const message = (answer as { message?: unknown } | null)?.message ?? `HTTP ${response.status}`
      const code =
        response.status === 403
          ? 'forbidden'
          : response.status === 404
            ? 'not_found'
            : 'unavailable'
      throw new ContractError(code, `The relay refused the conversion key: ${String(message)}`)
    }
    const parsed = KeyAnswer.safeParse(answer)
    if (!parsed.success) throw new ContractError('unavailable', 'The relay sent no conversion key')
    return { key: parsed.data.key, endpoint: relayApiUrl(relayUrl, 'conversions') }
  },
}
