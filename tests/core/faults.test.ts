import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { clientOf, fakeInvitation } from '../helpers/core'

const dirs: string[] = []
const cores = new Set<Core>()
afterAll(async () => {
  for (const core of cores) await core.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function open(dataDir: string) {
  const core = await Core.open({ dataDir, joinWaitMs: 200, opener: { open: async () => {} } })
  cores.add(core)
  return { core, client: clientOf(core) }
}

describe('the core with a disk that fills up mid-stream', () => {
  it('loses no acknowledged edit, says why, and resumes when space returns', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pv-faults-'))
    dirs.push(dataDir)
    const { core, client } = await open(dataDir)
    await client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'champion', relayUrl: 'ws://127.0.0.1:9' }),
    })
    const create = (title: string, caption = '') =>
      client.call('item.create', {
        title,
        url: 'https://acme.example/a',
        objective: 'awareness',
        captions: { linkedin: caption },
      })
    const acknowledged: string[] = []
    for (let i = 0; i < 5; i++) acknowledged.push((await create(`before ${i}`)).id)

    // The disk is full: SQLite may not grow the file by a single page.
    const db = core.store.db
    const pages = db.pragma('page_count', { simple: true }) as number
    db.pragma(`max_page_count = ${pages}`)
    const errors: string[] = []
    for (let i = 0; i < 40; i++) {
      try {
        acknowledged.push((await create(`during ${i}`, `${i} ${'x'.repeat(8_000)}`)).id)
      } catch (error) {
        errors.push(String(error))
      }
    }
    // Every failure said why, in words (never "internal").
    for (const error of errors) expect(error).toMatch(/disk is full/i)
    expect(core.store.docLog.fault?.message).toMatch(/disk is full/i)
    expect(core.store.docLog.fault?.unsaved).toBeGreaterThan(0)
    // The windows are told, in the status every window shows.
    expect((await client.call('status.get', {})).lastError).toMatch(/disk is full/i)

    // Space returns: the held changes are written, the derived table catches up, the fault
    // clears, and work goes on (Yjs still emits updates: nothing got stuck on the failure).
    db.pragma('max_page_count = 1073741823')
    expect(core.store.docLog.flush()).toBe(true)
    expect(core.store.docLog.fault).toBeNull()
    expect((await client.call('status.get', {})).lastError ?? '').not.toMatch(/disk/i)
    acknowledged.push((await create('after')).id)
    const listed = new Set((await client.call('queue.list', {})).map((item) => item.id))
    for (const id of acknowledged) expect(listed.has(id), id).toBe(true)

    cores.delete(core)
    await core.close()
    const again = await open(dataDir)
    const reloaded = new Set((await again.client.call('queue.list', {})).map((item) => item.id))
    for (const id of acknowledged) expect(reloaded.has(id), id).toBe(true)
  })
})
