import { describe, expect, it } from 'vitest'
import type { NudgeWhy } from '../../common/nudges/why'
import { nudgeNotificationText } from '../../main/shell/nudge-text'

const why: NudgeWhy = {
  code: 'learned',
  network: 'linkedin',
  weekday: 1,
  from: '08:00',
  to: '09:30',
  clicks: 40,
  deadline: null,
}
const nudge = { title: 'Notre rapport', why }

describe('the desktop notification speaks the person’s language', () => {
  it('follows the language setting, and "system" follows the OS locales the shell passes', () => {
    expect(nudgeNotificationText(nudge, 'fr', ['en-US'])).toEqual({
      language: 'fr',
      title: 'Notre rapport',
      body: 'Votre audience LinkedIn clique surtout le mardi de 08:00 à 09:30.',
      share: 'Partager',
      later: 'Plus tard',
    })
    expect(nudgeNotificationText(nudge, 'system', ['fr-CA', 'en-US'])).toMatchObject({
      language: 'fr',
      share: 'Partager',
      later: 'Plus tard',
    })
    expect(nudgeNotificationText(nudge, 'system', ['de-DE'])).toEqual({
      language: 'en',
      title: 'Notre rapport',
      body: 'Your LinkedIn audience clicks most on Tuesdays 08:00–09:30.',
      share: 'Share',
      later: 'Later',
    })
    expect(nudgeNotificationText(nudge, 'en', ['fr-FR']).later).toBe('Later')
  })
})
