import { describe, expect, it } from 'vitest'
import { hasUnfilledPlaceholders, pickVariant, placeholders } from '../../common/share'

const VARIANTS = ['Caption A', 'Variant B', 'Variant C']

describe('pickVariant', () => {
  it('is deterministic per (member, item)', () => {
    for (let i = 0; i < 50; i++) {
      const member = `member_${i}`
      expect(pickVariant(VARIANTS, member, 'item_1')).toBe(
        pickVariant([...VARIANTS], member, 'item_1'),
      )
    }
  })

  it('is roughly uniform over 1,000 member ids (also sequential, similar ones)', () => {
    for (const ids of [
      Array.from({ length: 1000 }, (_, i) => `member_${String(i).padStart(4, '0')}`),
      Array.from({ length: 1000 }, (_, i) => `m${i}`),
    ]) {
      const counts = new Map<string, number>()
      for (const id of ids) {
        const v = pickVariant(VARIANTS, id, 'item_k3j9x0q2m1p8')
        counts.set(v, (counts.get(v) ?? 0) + 1)
      }
      expect([...counts.keys()].sort()).toEqual([...VARIANTS].sort())
      // Expected 333 each, standard deviation about 15: ±60 is four deviations.
      for (const count of counts.values()) expect(Math.abs(count - 1000 / 3)).toBeLessThan(60)
      // Chi-square with 2 degrees of freedom; 13.8 is the 0.1 % critical value.
      const chi = [...counts.values()].reduce((s, c) => s + (c - 1000 / 3) ** 2 / (1000 / 3), 0)
      expect(chi).toBeLessThan(13.8)
    }
  })

  it('does not give one person the same position on every item', () => {
    const positions = new Set(
      Array.from({ length: 30 }, (_, i) => pickVariant(VARIANTS, 'member_alice', `item_${i}`)),
    )
    expect(positions.size).toBe(3)
  })

  it('skips blank variants and returns "" when there is nothing', () => {
    expect(pickVariant([], 'm', 'i')).toBe('')
    expect(pickVariant(['', '  '], 'm', 'i')).toBe('')
    for (let i = 0; i < 20; i++) expect(pickVariant(['', 'Only', ' '], `m${i}`, 'i')).toBe('Only')
  })
})

describe('placeholders', () => {
  it('finds {{…}} placeholders with their label and position', () => {
    const text = 'Proud of this. {{your take}} — and {{ a detail }}!'
    expect(placeholders(text)).toEqual([
      { label: 'your take', start: 15, end: 28 },
      { label: 'a detail', start: 35, end: 49 },
    ])
    expect(text.slice(15, 28)).toBe('{{your take}}')
    expect(hasUnfilledPlaceholders(text)).toBe(true)
  })

  it('an empty placeholder is still unfilled', () => {
    expect(placeholders('x {{}} y')).toEqual([{ label: '', start: 2, end: 6 }])
  })

  it('ignores single braces, unclosed ones and braces on different lines', () => {
    expect(hasUnfilledPlaceholders('Hello {world} and {{open')).toBe(false)
    expect(hasUnfilledPlaceholders('{{start\nend}}')).toBe(false)
    expect(hasUnfilledPlaceholders('My own take, filled in.')).toBe(false)
  })
})
