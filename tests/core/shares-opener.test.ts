import { describe, expect, it } from 'vitest'
import { ContractError } from '../../common/contract/messages'
import { rejectionOf } from '../helpers/errors'
import { driveEntry, offlineXShare } from './drive-entry'

/**
 * In the app, main opens the share page (the utility process cannot). A page that failed to open
 * must take the share back there too, as it does in the dev host: main answers each
 * `open-external` and the core waits for that answer. Driven as Electron drives the entry (see
 * process-entry.test.ts).
 */
describe('a share whose page main could not open is taken back', () => {
  it('waits for main: refused → no share, nothing to send; opened → recorded', async () => {
    let answer: string | null = 'no application can open https links'
    const { client, close } = await driveEntry('pv-opener-', (request, send) => {
      // Main answers after a while, as shell.openExternal does.
      setTimeout(() => send({ type: 'opened', id: request.id, error: answer }), 20)
    })
    const share = await offlineXShare(client)

    const refused = await rejectionOf(share(), ContractError)
    expect(refused.code).toBe('unavailable')
    expect(refused.message).toMatch(/no application can open https links/)
    expect((await client.call('stats.mine', {})).total).toBe(0)
    expect((await client.call('status.get', {})).session).not.toBeNull()

    answer = null
    const done = await share()
    expect(done.shareId).toMatch(/^[0-9a-z]{20}$/)
    expect((await client.call('stats.mine', {})).total).toBe(1)
    close()
  })
})
