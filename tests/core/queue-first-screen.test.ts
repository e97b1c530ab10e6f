import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { CoreClient } from '../../common/contract/client'
import { Core } from '../../main/core/core'
import { fileOpener } from '../../main/host/opener'
import { clientOf, fakeInvitation } from '../helpers/core'
import { removeTempDir, tempDir } from '../helpers/process'

/**
 * The popover asks for its first screen first (queue.forMe with a limit), then the whole queue:
 * the first answer must be exactly the head of the full ranking, whatever the filter.
 */

const WORKSPACE = 'ws_first_screen'
const cores: Core[] = []
const dirs: string[] = []

async function openCore(role: 'employee' | 'champion', memberId: string) {
  const dataDir = tempDir('porte-voix-first-screen-')
  dirs.push(dataDir)
  const core = await Core.open({ dataDir, joinWaitMs: 200, opener: fileOpener(dataDir, () => {}) })
  cores.push(core)
  const client = clientOf(core)
  await client.call('workspace.join', {
    invitation: fakeInvitation({ role, workspaceId: WORKSPACE, memberId }),
  })
  return { core, client }
}

let employee: { core: Core; client: CoreClient }

beforeAll(async () => {
  const champion = await openCore('champion', 'mem_chloe')
  for (let n = 0; n < 45; n++) {
    await champion.client.call('item.create', {
      title: `Item ${n}`,
      url: `https://acme.example/news/${n}`,
      objective: n % 2 ? 'awareness' : 'talent',
      priority: (n * 37) % 100,
      status: 'published',
    })
  }
  employee = await openCore('employee', 'mem_eric')
  // What the relay would deliver.
  Y.applyUpdate(
    employee.core.joined().sync.docs.queue,
    Y.encodeStateAsUpdate(champion.core.joined().sync.docs.queue),
    'test-relay',
  )
})

afterAll(async () => {
  for (const core of cores) await core.close()
  for (const dir of dirs) removeTempDir(dir)
})

describe('queue.forMe with a limit', () => {
  it('answers the first entries of the same ranking', async () => {
    const all = await employee.client.call('queue.forMe', {})
    expect(all).toHaveLength(45)
    const first = await employee.client.call('queue.forMe', { limit: 20 })
    expect(first.map((entry) => entry.item.id)).toEqual(all.slice(0, 20).map((e) => e.item.id))
  })

  it('applies the filter before the limit', async () => {
    const talent = await employee.client.call('queue.forMe', { objective: 'talent' })
    const first = await employee.client.call('queue.forMe', { objective: 'talent', limit: 5 })
    expect(first.map((entry) => entry.item.id)).toEqual(talent.slice(0, 5).map((e) => e.item.id))
  })

  it('refuses a limit that is not a positive integer', async () => {
    await expect(employee.client.call('queue.forMe', { limit: 0 })).rejects.toThrow()
  })
})
