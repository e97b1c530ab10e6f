/**
 * The board document on a member's core: synced from the relay like the directory, kept in
 * SQLite, readable offline after a restart; the relay refuses nothing the core never writes.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { Core } from '../../main/core/core'
import { publishItem, queueSynced } from '../helpers/core'
import { FIREFOX, followShortLink } from '../helpers/landing'
import { removeTempDir, tempDir } from '../helpers/process'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { openRelayCore } from './opened'

const PUBLIC = 'http://go.porte-voix.test'

const dirs: string[] = []
const cores: Core[] = []
let relay: RelayProcess | undefined

afterAll(async () => {
  for (const core of cores) await core.close()
  await stopRelay(relay)
  for (const dir of dirs) removeTempDir(dir)
})

async function openCore(dir: string) {
  const opened = await openRelayCore(dir)
  cores.push(opened.core)
  return opened
}

describe('the board on an employee core', () => {
  it('syncs the team results, and keeps them offline across a restart', async () => {
    relay = await startRelay({ args: ['--public-url', PUBLIC, '--board-debounce-ms', '50'] })
    const workspaceId = await relay.createWorkspace('Acme')
    const championDir = tempDir('pv-board-')
    const employeeDir = tempDir('pv-board-')
    dirs.push(championDir, employeeDir)
    const champion = await openCore(championDir)
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    const item = await publishItem(champion.client, 'Launch')
    let employee = await openCore(employeeDir)
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
    await queueSynced(employee.client)
    // Nothing yet: an empty board, not an error.
    expect((await employee.client.call('board.get', {})).items).toEqual([])

    const share = await employee.client.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Launch',
    })
    await waitFor('the click counted', async () => {
      const link = `${relay?.httpUrl}/s/${share.trackedUrl.slice(PUBLIC.length + 3)}`
      return (await followShortLink(link, FIREFOX)).status === 302
    })
    const events: unknown[] = []
    employee.client.on('board.changed', (payload) => events.push(payload))
    const board = await waitFor('the board on my core', async () => {
      const b = await employee.client.call('board.get', {})
      const row = b.items.find((i) => i.itemId === item.id)
      return row?.shares === 1 && row.clicks === 1 ? b : null
    })
    expect(board.updatedAt).not.toBeNull()
    expect(board.clickCurves.linkedin?.reduce((a, b) => a + b, 0)).toBe(1)
    expect(board.leaderboard).toMatchObject({ rows: [] })
    await waitFor('board.changed sent', () => (events.length > 0 ? true : null))
    // The core's replica is read-only: it never sent the relay a change to the board.
    expect(relay.logs()).not.toMatch(/update from read-only connection/)

    // Relay gone, core restarted: the board is what SQLite kept.
    await stopRelay(relay)
    relay = undefined
    await employee.core.close()
    cores.splice(cores.indexOf(employee.core), 1)
    employee = await openCore(employeeDir)
    expect(await employee.client.call('board.get', {})).toEqual(board)
  })
})
