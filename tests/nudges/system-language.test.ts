/**
 * settings.language 'system': the texts the core writes itself (nudges' whyText) follow the OS's
 * preferred languages as the shell reports them, or the process's locale without them.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { languageOf, processLanguages } from '../../main/core/nudges/language'
import { clientOf } from '../helpers/core'
import { removeTempDir, tempDir } from '../helpers/process'

const opened: { core: Core; dir: string }[] = []
afterAll(async () => {
  for (const { core, dir } of opened) {
    await core.close()
    removeTempDir(dir)
  }
})

async function whyTexts(systemLanguages: readonly string[]) {
  const dir = tempDir('pv-system-language-')
  const core = await Core.open({ dataDir: dir, systemLanguages })
  opened.push({ core, dir })
  const client = clientOf(core)
  expect((await client.call('settings.get', {})).language).toBe('system')
  const preview = await client.call('nudge.preview', {})
  expect(preview.audiences.length).toBeGreaterThan(0)
  return preview.audiences.map((audience) => audience.whyText)
}

describe("the core's own texts in the system language", () => {
  it('writes why in French when the OS prefers French, in English otherwise', async () => {
    for (const text of await whyTexts(['fr-CA', 'en-US'])) expect(text).toMatch(/^Peu de clics/)
    for (const text of await whyTexts(['de-DE', 'en-GB'])) expect(text).toMatch(/^Few clicks/)
    // None we have: English.
    for (const text of await whyTexts(['ja-JP'])) expect(text).toMatch(/^Few clicks/)
  })

  it("reads the process's locale when the shell says nothing (dev host)", () => {
    expect(languageOf(processLanguages({ LANG: 'fr_FR.UTF-8' }))).toBe('fr')
    expect(languageOf(processLanguages({ LC_ALL: 'en_GB.UTF-8', LANG: 'fr_FR.UTF-8' }))).toBe('en')
    // "C" says nothing: Intl's default decides, and it is a language we have or English.
    expect(['en', 'fr']).toContain(languageOf(processLanguages({ LANG: 'C.UTF-8' })))
  })
})
