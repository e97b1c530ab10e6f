import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { setText } from '../../common/doc/text'

function textWith(value: string): Y.Text {
  const doc = new Y.Doc()
  const text = doc.getText('t')
  text.insert(0, value)
  return text
}

describe('setText', () => {
  it('replaces one emoji by another without leaving half a surrogate pair', () => {
    const text = textWith('Go 😀 team')
    setText(text, 'Go 🙂 team')
    expect(text.toString()).toBe('Go 🙂 team')
  })

  it('keeps emoji whole when text around them changes', () => {
    const text = textWith('👩‍👩‍👧 family 🇫🇷')
    setText(text, '👩‍👩‍👦 family 🇧🇪')
    expect(text.toString()).toBe('👩‍👩‍👦 family 🇧🇪')
  })

  it('ends with exactly the new text, for any pair of strings (emoji included)', () => {
    const piece = fc.constantFrom('a', 'b', ' ', '😀', '🙂', '😃', '日', '\u00e9', 'e\u0301')
    const str = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''))
    fc.assert(
      fc.property(str, str, (before, after) => {
        const text = textWith(before)
        setText(text, after)
        expect(text.toString()).toBe(after)
      }),
      { numRuns: 500 },
    )
  })

  it('keeps a concurrent edit elsewhere in the text', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    a.getText('t').insert(0, 'Hello world')
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    setText(a.getText('t'), 'Hello brave world')
    b.getText('t').insert(b.getText('t').length, '!')
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    expect(a.getText('t').toString()).toBe('Hello brave world!')
    expect(b.getText('t').toString()).toBe('Hello brave world!')
  })
})
