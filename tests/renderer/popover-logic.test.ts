import { describe, expect, it } from 'vitest'
import type { QueueEntry } from '../../common/contract/api'
import { type Item, newItem } from '../../common/model/item'
import {
  dictionaries,
  format,
  type MessageKey,
  systemLanguage,
  translatePlural,
} from '../../renderer/src/i18n/messages'
import {
  barHeights,
  campaignDaysLeft,
  captionSegments,
  checkShare,
  classifyShareError,
  filterQueue,
  previewLink,
  queueTopics,
  resolveLanguage,
  safeImageUrl,
  settingsDraft,
  settingsPatch,
  themeAttribute,
} from '../../renderer/src/state/logic'

const made = newItem(
  {
    id: 'item_a',
    title: 'A',
    url: 'https://example.com/a',
    objective: 'awareness',
    authorId: 'mem_champion',
    createdAt: '2026-11-01T00:00:00.000Z',
  },
  { status: 'published' },
)
if ('issues' in made) throw new Error(`fixture item: ${made.issues.join('; ')}`)
const baseItem: Item = made.item

function entry(patch: Partial<Item>): QueueEntry {
  return { item: { ...baseItem, ...patch }, campaign: null, suggested: {}, sharedOn: [] }
}

describe('i18n', () => {
  it('has every English key in French, none left empty', () => {
    const keys = Object.keys(dictionaries.en) as MessageKey[]
    expect(Object.keys(dictionaries.fr).sort()).toEqual([...keys].sort())
    for (const key of keys) expect(dictionaries.fr[key].trim()).not.toBe('')
  })

  it('fills slots and leaves {{…}} placeholders alone', () => {
    expect(format('Share on {network}', { network: 'X' })).toBe('Share on X')
    expect(format('Replace every {{…}} and {missing}', {})).toBe(
      'Replace every {{…}} and {missing}',
    )
  })

  it('picks plural forms by each language’s rules', () => {
    expect(translatePlural('en', 'queue.count', 1)).toBe('1 item')
    expect(translatePlural('en', 'queue.count', 0)).toBe('0 items')
    expect(translatePlural('fr', 'queue.count', 0)).toBe('0 contenu')
    expect(translatePlural('fr', 'campaign.daysLeft', 3)).toBe('encore 3 jours')
  })

  it('follows the system language unless the setting says otherwise', () => {
    expect(systemLanguage(['de-DE', 'fr-CA', 'en'])).toBe('fr')
    expect(systemLanguage(['de-DE'])).toBe('en')
    expect(resolveLanguage('system', ['fr-FR'])).toBe('fr')
    expect(resolveLanguage(undefined, ['fr-FR'])).toBe('fr')
    expect(resolveLanguage('en', ['fr-FR'])).toBe('en')
  })

  it('sets data-theme only when the setting overrides the system', () => {
    expect(themeAttribute('system')).toBeNull()
    expect(themeAttribute(undefined)).toBeNull()
    expect(themeAttribute('dark')).toBe('dark')
    expect(themeAttribute('light')).toBe('light')
  })
})

describe('caption editing', () => {
  it('cuts a caption into text and placeholders that rebuild it exactly', () => {
    const text = 'Hi {{ your take }} and {{why}}!\n<b>{not one}</b>'
    const segments = captionSegments(text)
    expect(segments.map((s) => s.text).join('')).toBe(text)
    expect(segments.filter((s) => s.placeholder).map((s) => s.text)).toEqual([
      '{{ your take }}',
      '{{why}}',
    ])
    expect(captionSegments('')).toEqual([])
  })

  it('blocks sharing while placeholders are unfilled, or when over the limit', () => {
    const link = 'https://example.com/a'
    expect(checkShare('linkedin', 'Great {{your take}}', link)).toMatchObject({
      blockedBy: 'placeholders',
      unfilled: ['your take'],
    })
    expect(checkShare('linkedin', 'Great read', link).blockedBy).toBeNull()
    const long = 'é'.repeat(258) // + space + link weighing 23 = 282 on X
    const x = checkShare('x', long, link)
    expect(x.measure).toMatchObject({ used: 282, limit: 280, over: true })
    expect(x.blockedBy).toBe('over')
    // LinkedIn puts the link in a card: only the caption counts.
    expect(checkShare('linkedin', long, link).measure.used).toBe(258)
    // A bare link is fine: the person may write on the network's page.
    expect(checkShare('facebook', '', link).blockedBy).toBeNull()
  })

  it('counts the link as it will be posted, UTM parameters included', () => {
    const link = previewLink('https://example.com/a?x=1#top', 'whatsapp', null)
    expect(link).toMatch(
      /^https:\/\/example\.com\/a\?x=1&utm_source=whatsapp&utm_medium=employee-advocacy&utm_campaign=evergreen&utm_content=0{20}#top$/,
    )
    // A link that cannot be tracked is measured as is (the core refuses to share it).
    expect(previewLink('javascript:alert(1)', 'x', null)).toBe('javascript:alert(1)')
  })

  it('recognises the errors that deserve a pointer', () => {
    expect(
      classifyShareError('To share on Mastodon, first set your Mastodon server in Settings.'),
    ).toBe('mastodon')
    expect(classifyShareError('This link cannot be shared: only web links…')).toBe('link')
    expect(classifyShareError('Core connection closed')).toBe('other')
  })
})

describe('queue', () => {
  const entries = [
    entry({ id: 'item_1', objective: 'campaign', topics: ['Events', 'product'] }),
    entry({ id: 'item_2', objective: 'talent', topics: ['culture'] }),
    entry({ id: 'item_3', objective: 'campaign', topics: ['culture', 'été'] }),
  ]

  it('filters by objective and topic, keeping the core’s order', () => {
    const ids = (list: QueueEntry[]) => list.map((e) => e.item.id)
    expect(ids(filterQueue(entries, { objective: null, topic: null }))).toEqual([
      'item_1',
      'item_2',
      'item_3',
    ])
    expect(ids(filterQueue(entries, { objective: 'campaign', topic: null }))).toEqual([
      'item_1',
      'item_3',
    ])
    expect(ids(filterQueue(entries, { objective: 'campaign', topic: 'culture' }))).toEqual([
      'item_3',
    ])
    expect(filterQueue(entries, { objective: 'awareness', topic: null })).toEqual([])
  })

  it('lists each topic once, sorted for the language', () => {
    expect(queueTopics(entries, 'fr')).toEqual(['culture', 'été', 'Events', 'product'])
  })

  it('counts campaign days left in calendar days', () => {
    const now = new Date('2026-11-24T22:00:00Z')
    expect(campaignDaysLeft('2026-11-24T23:30:00Z', now, 'UTC').days).toBe(0)
    expect(campaignDaysLeft('2026-11-25T08:00:00Z', now, 'UTC').days).toBe(1)
    // At 23:30 UTC it is already tomorrow in Paris: the same deadline is "today" there.
    const late = new Date('2026-11-24T23:30:00Z')
    expect(campaignDaysLeft('2026-11-25T08:00:00Z', late, 'UTC').days).toBe(1)
    expect(campaignDaysLeft('2026-11-25T08:00:00Z', late, 'Europe/Paris').days).toBe(0)
    expect(campaignDaysLeft('2026-11-29T12:00:00Z', now, 'UTC').days).toBe(5)
    expect(campaignDaysLeft('2026-11-24T21:00:00Z', now, 'UTC').days).toBe(-1)
  })

  it('shows https images only', () => {
    expect(safeImageUrl('https://cdn.example.com/a.png')).toBe('https://cdn.example.com/a.png')
    expect(safeImageUrl('http://cdn.example.com/a.png')).toBeNull()
    expect(safeImageUrl('javascript:alert(1)')).toBeNull()
    expect(safeImageUrl('not a url')).toBeNull()
    expect(safeImageUrl(null)).toBeNull()
  })
})

describe('stats chart', () => {
  it('scales bars to the busiest day and never hides a day with shares', () => {
    expect(barHeights([0, 0])).toEqual([0, 0])
    expect(barHeights([])).toEqual([])
    expect(barHeights([0, 1, 2, 50])).toEqual([0, 6, 6, 100])
    expect(barHeights([1, 2, 4])).toEqual([25, 50, 100])
  })
})

describe('settings form', () => {
  it('trims the Mastodon server to its host, and empties become null', () => {
    const draft = settingsDraft({
      networks: ['x', 'linkedin'],
      nudgesPaused: false,
      mastodonInstance: null,
      timeZone: null,
      quietHours: null,
      language: 'system',
      theme: 'system',
    })
    expect(settingsPatch(draft)).toEqual({
      networks: ['linkedin', 'x'],
      mastodonInstance: null,
      timeZone: null,
      quietHours: null,
      language: 'system',
      theme: 'system',
    })
    expect(
      settingsPatch({
        ...draft,
        mastodonInstance: '  https://mastodon.social/  ',
        timeZone: ' Europe/Paris ',
        quiet: true,
        quietStart: '22:00',
        quietEnd: '07:30',
      }),
    ).toMatchObject({
      mastodonInstance: 'mastodon.social',
      timeZone: 'Europe/Paris',
      quietHours: { start: '22:00', end: '07:30' },
    })
  })
})
