import { describe, expect, it } from 'vitest'
import type { Campaign } from '../../common/model/campaign'
import type { Item } from '../../common/model/item'
import { isLive, rankQueue } from '../../main/core/queue/ranking'
import { makeItem } from '../helpers/items'

const now = new Date('2026-11-25T09:00:00Z')

function item(id: string, overrides: Partial<Item> = {}): Item {
  return makeItem(id, { status: 'published', authorId: 'member_a', ...overrides })
}

const campaign: Campaign = {
  id: 'camp_launch',
  name: 'Launch',
  objective: 'campaign',
  goalMetric: 'sign-ups',
  goalTarget: 3000,
  deadline: '2026-11-27T00:00:00Z',
}

describe('queue ranking', () => {
  it('shows only published items inside their window', () => {
    expect(isLive(item('a'), now)).toBe(true)
    expect(isLive(item('b', { status: 'draft' }), now)).toBe(false)
    expect(isLive(item('c', { publishAt: '2026-11-26T00:00:00Z' }), now)).toBe(false)
    expect(isLive(item('d', { expiresAt: '2026-11-24T00:00:00Z' }), now)).toBe(false)
  })

  it('orders by priority, then freshness, then deadline pull; my shares last', () => {
    const context = {
      now,
      campaigns: new Map([[campaign.id, campaign]]),
      sharedByMe: new Set(['top-but-shared']),
    }
    const ranked = rankQueue(
      [
        item('old-low', { priority: 10 }),
        item('fresh-low', { priority: 10, createdAt: '2026-11-25T08:00:00Z' }),
        item('top-but-shared', { priority: 100 }),
        item('campaign-low', { priority: 10, campaignId: campaign.id }),
        item('high', { priority: 90 }),
      ],
      context,
    ).map((i) => i.id)
    expect(ranked).toEqual(['high', 'campaign-low', 'fresh-low', 'old-low', 'top-but-shared'])
  })
})
