/** recognition.mine's counting (main/core/board/recognition.ts, common/model/standings.ts). */
import { describe, expect, it } from 'vitest'
import { EMPTY_BOARD } from '../../common/model/board'
import type { Challenge } from '../../common/model/recognition'
import { computeMyRecognition, myScoredShares } from '../../main/core/board/recognition'

const NOW = new Date('2026-12-15T10:00:00Z')
const weights = { share: 10, click: 1, conversion: 25 }

const shares = myScoredShares({
  shares: [
    { id: 'shr_nov', itemId: 'item_talent', network: 'linkedin', sharedAt: '2026-11-30T23:30:00Z' },
    { id: 'shr_dec', itemId: 'item_talent', network: 'x', sharedAt: '2026-12-01T00:10:00Z' },
    {
      id: 'shr_gone',
      itemId: 'item_archived',
      network: 'linkedin',
      sharedAt: '2026-12-02T09:00:00Z',
    },
  ],
  clicks: [
    // November's share clicked in December: counts for November (its share's month).
    { shareId: 'shr_nov', network: 'linkedin', at: '2026-12-03T08:00:00Z', unique: true },
    { shareId: 'shr_dec', network: 'x', at: '2026-12-02T08:00:00Z', unique: true },
    // A repeat by the same visitor: no points.
    { shareId: 'shr_dec', network: 'x', at: '2026-12-02T08:05:00Z', unique: false },
  ],
  conversions: [{ id: 'c1', shareId: 'shr_dec', at: '2026-12-04T10:00:00Z', kind: 'signup' }],
  item: (id) =>
    id === 'item_talent' ? { objective: 'talent', sourceKind: 'employee', campaignId: null } : null,
})

const challenge = (over: Partial<Challenge>): Challenge => ({
  id: 'chal_1',
  name: 'Talent',
  metric: 'shares',
  filter: {},
  startsAt: '2026-12-01T00:00:00Z',
  endsAt: '2027-01-01T00:00:00Z',
  prize: '',
  ...over,
})

describe('my points', () => {
  it('counts this month by share month (UTC), unique clicks only, and all time', () => {
    const mine = computeMyRecognition({
      shares,
      weights,
      challenges: [],
      board: EMPTY_BOARD,
      memberId: 'mem_me',
      optedIn: false,
      now: NOW,
    })
    // December: two shares (20) + one unique click (1) + one conversion (25).
    expect(mine).toMatchObject({ month: '2026-12', monthPoints: 46, allTimePoints: 57, rank: null })
  })

  it('scores challenges with their filter and period; rank only from the board and only when opted in', () => {
    const talent = challenge({ filter: { objective: 'talent' } })
    const xPoints = challenge({ id: 'chal_2', metric: 'points', filter: { network: 'x' } })
    const board = {
      ...EMPTY_BOARD,
      leaderboard: {
        month: '2026-12',
        rows: [
          {
            memberId: 'mem_me',
            displayName: 'Me',
            points: 46,
            shares: 2,
            clicks: 1,
            conversions: 1,
            rank: 2,
          },
        ],
      },
      challenges: [
        {
          challengeId: 'chal_1',
          teamScore: 9,
          standings: [{ memberId: 'mem_me', displayName: 'Me', score: 1, rank: 3 }],
        },
      ],
    }
    const input = {
      shares,
      weights,
      challenges: [talent, xPoints],
      board,
      memberId: 'mem_me',
      now: NOW,
    }
    const out = computeMyRecognition({ ...input, optedIn: false })
    // The archived item's share is unknown to the filter; November's is outside the period.
    expect(out.challenges.map((c) => [c.myScore, c.teamScore, c.rank])).toEqual([
      [1, 9, null],
      [36, 0, null],
    ])
    expect(out.rank).toBeNull()
    const opted = computeMyRecognition({ ...input, optedIn: true })
    expect(opted.rank).toBe(2)
    expect(opted.challenges[0]?.rank).toBe(3)
    // Last month's leaderboard does not rank me this month.
    const stale = computeMyRecognition({
      ...input,
      optedIn: true,
      board: { ...board, leaderboard: { ...board.leaderboard, month: '2026-11' } },
    })
    expect(stale.rank).toBeNull()
  })
})
