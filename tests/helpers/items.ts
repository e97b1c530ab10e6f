import type { Item } from '../../common/model/item'

/** A valid published-or-approved item for tests; override what the test is about. */
export function makeItem(id: string, overrides: Partial<Item> = {}): Item {
  return {
    id,
    title: `Title ${id}`,
    url: `https://example.com/${id}`,
    source: 'Example',
    sourceKind: 'internal',
    objective: 'awareness',
    topics: [],
    why: '',
    captions: {},
    variants: {},
    imageUrl: null,
    status: 'approved',
    publishAt: null,
    expiresAt: null,
    priority: 50,
    campaignId: null,
    authorId: 'mem_author',
    approverId: null,
    moderation: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  }
}
