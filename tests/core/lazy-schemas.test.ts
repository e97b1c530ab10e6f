import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { methods } from '../../common/contract/api'
import { Item, itemWithDefaults, NewItem } from '../../common/model/item'
import { lazySchema } from '../../common/model/lazy'
import { describeIssues } from '../../common/model/validation'

/**
 * Issue 7.8: the models' schemas (and the contract's top-level ones) are built on first use, not
 * at load (lazySchema), so a process builds only what it validates with. The schema a constant
 * stands for is the same one: same results, same errors, same zod behaviour.
 */
describe('lazySchema', () => {
  const build = () =>
    z.object({
      id: z.string().min(3, 'id is too short'),
      count: z.number().int().nonnegative(),
      note: z.string().trim().nullable(),
    })

  it('builds its schema on first use, once', () => {
    let builds = 0
    const Lazy = lazySchema(() => {
      builds++
      return build()
    })
    expect(builds).toBe(0)
    Lazy.safeParse({})
    Lazy.safeParse({})
    expect(builds).toBe(1)
  })

  it('validates, fails and composes as the schema it builds', () => {
    const Lazy = lazySchema(build)
    const eager = build()
    const values: unknown[] = [
      { id: 'abc', count: 2, note: '  hi  ' },
      { id: 'a', count: -1, note: 3 },
      { id: 'abcd', count: 1.5 },
      null,
      'text',
    ]
    for (const value of values) {
      const lazy = Lazy.safeParse(value)
      const built = eager.safeParse(value)
      expect(lazy.success).toBe(built.success)
      if (lazy.success && built.success) expect(lazy.data).toEqual(built.data)
      if (!lazy.success && !built.success) {
        expect(describeIssues(lazy.error)).toEqual(describeIssues(built.error))
      }
    }
    expect(() => Lazy.parse({ id: 'a', count: 0, note: null })).toThrow(z.ZodError)
    expect(Lazy instanceof z.ZodObject).toBe(true)
    expect(Object.keys(Lazy.shape)).toEqual(['id', 'count', 'note'])
    expect('_zod' in Lazy).toBe(true)
    // Inside other schemas, and derived from.
    const list = z.array(Lazy)
    expect(list.safeParse([{ id: 'abc', count: 1, note: null }]).success).toBe(true)
    expect(list.safeParse([{ id: 'abc', count: 1 }]).success).toBe(false)
    const extended = Lazy.extend({ more: z.boolean() })
    expect(extended.safeParse({ id: 'abc', count: 1, note: null, more: true }).success).toBe(true)
    expect(Lazy.pick({ id: true }).safeParse({ id: 'abc' }).success).toBe(true)
    expect(Lazy.nullable().safeParse(null).success).toBe(true)
  })
})

describe('the models and the contract, built on first use', () => {
  const item = itemWithDefaults({
    id: 'item_lazy',
    title: 'A title',
    url: 'https://acme.example/a',
    objective: 'awareness',
    authorId: 'mem_a',
    createdAt: '2026-12-01T10:00:00.000Z',
  })

  it('check items with the same rules and errors as before', () => {
    expect(Item.parse(item)).toEqual(item)
    const bad = Item.safeParse({ ...item, title: '  ', url: 'javascript:alert(1)', priority: 101 })
    expect(bad.success).toBe(false)
    if (!bad.success) {
      expect(describeIssues(bad.error)).toEqual([
        'title: title is empty',
        'url: must be an absolute http(s) URL',
        'priority: Too big: expected number to be <=100',
      ])
    }
    // Derived schemas (omit/partial) follow the item's.
    expect(
      NewItem.safeParse({ title: 'x', url: 'https://a.example', objective: 'talent' }).success,
    ).toBe(true)
  })

  it("validate the contract's frames with them", () => {
    const result = methods['item.get'].result.safeParse({ ...item, status: 'nope' })
    expect(result.success).toBe(false)
    expect(methods['queue.forMe'].params.safeParse({ limit: 0 }).success).toBe(false)
    expect(methods['settings.get'].params.safeParse({}).success).toBe(true)
  })
})
