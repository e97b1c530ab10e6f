import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { DATABASE_FILE } from '../../main/core/store/database'
import { fakeInvitation, startCore } from '../helpers/core'
import { waitFor } from '../helpers/wait'

describe('durability of the core store', () => {
  it('a core killed with SIGKILL mid-write keeps every acknowledged edit and a sound file', async () => {
    // Compact often so the kill can land in a compaction as well as in an append.
    const core = await startCore({ args: ['--compact-every', '25'] })
    await core.client.call('workspace.join', { invitation: fakeInvitation({ role: 'champion' }) })
    const anchor = await core.client.call('item.create', {
      title: 'Anchor',
      url: 'https://example.com/anchor',
      objective: 'awareness',
    })

    const createdAcked = new Set<string>()
    let captionAcked = -1
    let stop = false
    // Several writers in flight at once, like several windows.
    const writer = async (lane: number) => {
      for (let n = 0; !stop; n++) {
        try {
          if (lane === 0) {
            const version = n
            await core.client.call('item.setCaption', {
              id: anchor.id,
              network: 'linkedin',
              text: `version ${version}`,
            })
            captionAcked = Math.max(captionAcked, version)
          } else {
            const item = await core.client.call('item.create', {
              title: `lane ${lane} #${n}`,
              url: `https://example.com/${lane}/${n}`,
              objective: 'campaign',
              topics: [`lane-${lane}`],
            })
            createdAcked.add(item.id)
          }
        } catch {
          return // the connection died with the process
        }
      }
    }
    const lanes = [0, 1, 2, 3].map(writer)
    await waitFor('300 acknowledged creates', () => createdAcked.size >= 300, { timeoutMs: 40_000 })
    await core.kill()
    stop = true
    await Promise.all(lanes)
    expect(createdAcked.size).toBeGreaterThanOrEqual(300)

    const db = new Database(path.join(core.dataDir, DATABASE_FILE))
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()

    const restarted = await startCore({ dataDir: core.dataDir })
    try {
      const ids = new Set((await restarted.client.call('queue.list', {})).map((item) => item.id))
      const missing = [...createdAcked].filter((id) => !ids.has(id))
      expect(missing).toEqual([])
      const caption = (await restarted.client.call('item.get', { id: anchor.id })).captions.linkedin
      const version = Number(caption?.replace('version ', ''))
      expect(version).toBeGreaterThanOrEqual(captionAcked)
      console.log(
        `[durability] killed after ${createdAcked.size} acknowledged creates and caption v${captionAcked}; restarted with ${ids.size} items, caption v${version}`,
      )
    } finally {
      await restarted.stop()
    }
  })
})
