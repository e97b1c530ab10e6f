import { describe, expect, it } from 'vitest'
import { csvField, csvFileName, parseCsv, toCsv } from '../../renderer/src/studio/csv'

describe('CSV export (RFC 4180)', () => {
  it('quotes fields with commas, quotes and line breaks, doubling quotes; CRLF between records', () => {
    const csv = toCsv(
      ['Item', 'Shares'],
      [
        ['Plain', 3],
        ['Launch, part 2', 10],
        ['Say "hello"', 0],
        ['Two\nlines', 1],
        ['Carriage\rreturn', 2],
      ],
    )
    expect(csv).toBe(
      'Item,Shares\r\nPlain,3\r\n"Launch, part 2",10\r\n"Say ""hello""",0\r\n"Two\nlines",1\r\n"Carriage\rreturn",2\r\n',
    )
  })

  it('round-trips through the parser, with or without a byte-order mark', () => {
    const rows = [
      ['Contenu', 'Réseau', 'Clics'],
      ['L’été, "enfin"', 'LinkedIn', '1234'],
      ['', 'X', '0'],
      ['a\r\nb', 'Bluesky', '7'],
    ]
    const csv = toCsv(rows[0] ?? [], rows.slice(1))
    expect(parseCsv(csv)).toEqual(rows)
    expect(parseCsv(`\uFEFF${csv}`)).toEqual(rows)
    expect(parseCsv('a,b\nc,d')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
  })

  it('writes numbers raw and nulls empty, and defuses spreadsheet formulas in text', () => {
    expect(csvField(1234567)).toBe('1234567')
    expect(csvField(0.125)).toBe('0.125')
    expect(csvField(-3)).toBe('-3')
    expect(csvField(Number.NaN)).toBe('')
    expect(csvField(null)).toBe('')
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`)
    expect(csvField('+1')).toBe("'+1")
    expect(csvField('@sum')).toBe("'@sum")
    expect(csvField('-minus')).toBe("'-minus")
  })

  it('names files after the table and the day', () => {
    expect(csvFileName('Per item', new Date('2026-12-01T10:00:00Z'))).toBe(
      'porte-voix-per-item-2026-12-01.csv',
    )
    expect(csvFileName('Réseaux', new Date('2026-12-01T10:00:00Z'))).toBe(
      'porte-voix-r-seaux-2026-12-01.csv',
    )
  })
})
