import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ContractError } from '../../common/contract/messages'
import { Core } from '../../main/core/core'
import { clientOf, fakeInvitation } from '../helpers/core'
import { waitFor } from '../helpers/wait'

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
    const refused: { title: string; error: unknown }[] = []
    for (let i = 0; i < 40; i++) {
      const title = `during ${i}`
      try {
        acknowledged.push((await create(title, `${i} ${'x'.repeat(8_000)}`)).id)
      } catch (error) {
        refused.push({ title, error })
      }
    }
    // A few may still fit in the file's free space; then every change is refused, with a code
    // the windows translate and words (never "internal").
    expect(refused.length).toBeGreaterThanOrEqual(30)
    for (const { error } of refused) {
      expect(error).toBeInstanceOf(ContractError)
      expect((error as ContractError).problem?.code).toBe('storageFull')
      expect((error as ContractError).message).toMatch(/disk is full/i)
    }
    // Memory is not ahead of the log: a refused change was not made. Only the change during which
    // the disk filled up is already in memory (held, written once space returns); every later one
    // was refused before it was made.
    const during = (await client.call('queue.list', {})).filter((item) =>
      item.title.startsWith('during'),
    )
    const refusedTitles = new Set(refused.map((entry) => entry.title))
    expect(during.filter((item) => refusedTitles.has(item.title)).length).toBeLessThanOrEqual(1)
    expect(core.store.docLog.fault?.problem).toBe('storageFull')
    // At most that one update is held (none when what failed first was the derived table).
    expect(core.store.docLog.fault?.unsaved).toBeLessThanOrEqual(1)
    // The windows are told, in the status every window shows, as a code.
    const status = await client.call('status.get', {})
    expect(status.problem?.code).toBe('storageFull')
    expect(status.lastError).toMatch(/disk is full/i)
    // A window's change while the disk is full is refused too, before it is made.
    expect(core.joined().sync.storageFault()?.problem).toBe('storageFull')

    // Space returns: the core notices by itself, writes what it held, the status clears, and
    // work goes on (Yjs still emits updates: nothing got stuck on the failure).
    db.pragma('max_page_count = 1073741823')
    await waitFor('status clear', async () => {
      const next = await client.call('status.get', {})
      // (The relay of this test is never reachable: that problem stays.)
      return next.problem?.code !== 'storageFull' && !/disk/i.test(next.lastError ?? '')
    })
    expect(core.store.docLog.fault).toBeNull()
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
