import { describe, expect, it } from 'vitest'
import { ContractError } from '../../common/contract/messages'
import { answerOpenExternal, type OpenPage, REFUSED_URL } from '../../main/shell/open-external'
import { driveEntry, offlineXShare } from '../core/drive-entry'
import { rejectionOf } from '../helpers/errors'

/**
 * The app's side of a share whose page failed to open (issue 8.10): main's own answer to the
 * core's `open-external` (main/shell/open-external.ts, what core-process.ts runs around
 * shell.openExternal) decides whether the core takes the share back. Here it sits between a real
 * core entry (as Electron drives it) and an opener standing in for shell.openExternal.
 */
describe("main's answer to open-external decides whether a share is taken back", () => {
  it('a URL main refuses never reaches the opener', async () => {
    const opened: string[] = []
    const open: OpenPage = async (url) => {
      opened.push(url)
    }
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'https://a b.example/']) {
      expect(await answerOpenExternal({ id: 7, url }, open)).toEqual({
        type: 'opened',
        id: 7,
        error: REFUSED_URL,
      })
    }
    expect(opened).toEqual([])
  })

  it('open fails → the core takes the share back; open succeeds → the share is kept', async () => {
    const opened: string[] = []
    let behaviour: 'reject' | 'throw' | 'open' = 'reject'
    const open: OpenPage = (url) => {
      opened.push(url)
      if (behaviour === 'throw') throw new Error('openExternal threw before returning')
      if (behaviour === 'reject') return Promise.reject(new Error('no application for https'))
      return Promise.resolve()
    }
    const { client, close } = await driveEntry('pv-shell-open-', (request, send) => {
      void answerOpenExternal(request, open).then((answer) => send(answer))
    })
    try {
      const share = await offlineXShare(client)

      const refused = await rejectionOf(share(), ContractError)
      expect(refused.message).toMatch(/no application for https/)
      expect((await client.call('stats.mine', {})).total).toBe(0)

      behaviour = 'throw'
      const thrown = await rejectionOf(share(), ContractError)
      expect(thrown.message).toMatch(/openExternal threw/)
      expect((await client.call('stats.mine', {})).total).toBe(0)
      // Both attempts asked main to open the share page, and main tried.
      expect(opened).toHaveLength(2)
      expect(opened[0]).toMatch(/^https:\/\//)

      behaviour = 'open'
      const done = await share()
      expect(done.shareId).toMatch(/^[0-9a-z]{20}$/)
      expect((await client.call('stats.mine', {})).total).toBe(1)
      expect(opened).toHaveLength(3)
    } finally {
      close()
    }
  })
})
