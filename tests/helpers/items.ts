import { type Item, itemWithDefaults } from '../../common/model/item'

const CREATED_AT = '2026-01-01T00:00:00.000Z'

/**
 * A published-or-approved item for tests; override what the test is about. Not validated (the
 * model's defaults, unchecked): some tests use short ids such as 'a' or invalid fields on purpose.
 */
export function makeItem(id: string, overrides: Partial<Item> = {}): Item {
  return {
    ...itemWithDefaults(
      {
        id,
        title: `Title ${id}`,
        url: `https://example.com/${id}`,
        objective: 'awareness',
        authorId: 'mem_author',
        createdAt: CREATED_AT,
      },
      { source: 'Example', status: 'approved' },
    ),
    ...overrides,
  }
}
