import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CoreProcess, startCore } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import { databaseBytes, foundIn } from '../helpers/db-bytes'
import { removeTempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

/**
 * Issue 8.4: an employee's device holds published content only. Drafts, proposals (title, link,
 * note to champions), rejection reasons and archived items live in the curation document, which
 * employees never sync: none of it may be found in the bytes of an employee's SQLite files.
 */

const SECRETS = {
  draftTitle: 'Draft-title-nobody-else-may-read',
  draftCaption: 'Draft-caption-under-embargo',
  archivedTitle: 'Archived-title-taken-back',
  proposalTitle: 'Colleague-proposal-title',
  proposalUrl: 'https://colleague.example/their-pending-link',
  proposalNote: 'Note-to-champions-from-a-colleague',
  rejectedTitle: 'Rejected-proposal-title',
  rejectionReason: 'Rejection-reason-for-the-author-only',
  approvedTitle: 'Approved-but-not-yet-published',
}

describe('an employee’s replica holds only what is theirs', () => {
  let relay: RelayProcess
  let champion: CoreProcess
  let colleague: CoreProcess
  let employee: CoreProcess
  let workspaceId: string
  const PUBLISHED = 'Published-title-everyone-reads'

  beforeAll(async () => {
    relay = await startRelay()
    workspaceId = await relay.createWorkspace('Acme')
    ;[champion, colleague, employee] = await Promise.all([startCore(), startCore(), startCore()])
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    await colleague.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Colin', role: 'employee' }),
    })
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eve', role: 'employee' }),
    })
    for (const core of [champion, colleague, employee]) {
      await waitFor(
        'synced',
        async () => (await core.client.call('status.get', {})).sync === 'synced',
      )
    }
  })

  afterAll(async () => {
    await Promise.all([champion?.stop(), colleague?.stop(), employee?.stop()])
    await relay?.stop()
    for (const dir of [champion, colleague, employee, relay].map((p) => p?.dataDir))
      if (dir) removeTempDir(dir)
  })

  it('drafts, proposals, moderation and the archive never reach an employee’s SQLite file', async () => {
    const c = champion.client
    await c.call('item.create', {
      title: SECRETS.draftTitle,
      url: 'https://example.com/draft',
      objective: 'awareness',
      captions: { linkedin: SECRETS.draftCaption },
    })
    await c.call('item.create', {
      title: SECRETS.archivedTitle,
      url: 'https://example.com/archived',
      objective: 'awareness',
      status: 'archived',
    })
    const published = await c.call('item.create', {
      title: PUBLISHED,
      url: 'https://example.com/published',
      objective: 'awareness',
      status: 'published',
    })
    // A published item taken back leaves the queue again.
    const takenBack = await c.call('item.create', {
      title: 'Published-then-unpublished',
      url: 'https://example.com/taken-back',
      objective: 'awareness',
      status: 'published',
    })
    await c.call('item.update', { id: takenBack.id, patch: { status: 'archived' } })

    // A colleague's proposals: one stays pending, one is rejected, one approved unpublished.
    const pending = await colleague.client.call('proposal.create', {
      title: SECRETS.proposalTitle,
      url: SECRETS.proposalUrl,
      note: SECRETS.proposalNote,
      caption: '',
    })
    const rejected = await colleague.client.call('proposal.create', {
      title: SECRETS.rejectedTitle,
      url: 'https://example.com/rejected',
      note: '',
      caption: '',
    })
    const approved = await colleague.client.call('proposal.create', {
      title: SECRETS.approvedTitle,
      url: 'https://example.com/approved',
      note: '',
      caption: '',
    })
    await waitFor('proposals at the champion', async () => {
      const ids = new Set((await c.call('queue.list', {})).map((item) => item.id))
      return [pending.id, rejected.id, approved.id].every((id) => ids.has(id))
    })
    await c.call('item.reject', { id: rejected.id, reason: SECRETS.rejectionReason })
    await c.call('item.approve', { id: approved.id, publish: false })

    // The champion's list still holds everything, the employee's table the published item only.
    const championTitles = (await c.call('queue.list', {})).map((item) => item.title)
    expect(championTitles).toEqual(expect.arrayContaining([SECRETS.draftTitle, PUBLISHED]))
    await waitFor('published item at the employee', () =>
      readQueueTable(employee.dataDir).some((row) => row.id === published.id),
    )
    await waitFor('taken-back item gone from the employee', () =>
      readQueueTable(employee.dataDir).every((row) => row.id !== takenBack.id),
    )
    expect(readQueueTable(employee.dataDir).map((row) => row.title)).toEqual([PUBLISHED])
    const listed = await employee.client.call('queue.list', { status: ['draft', 'submitted'] })
    expect(listed).toEqual([])
    expect((await employee.client.call('queue.list', {})).map((item) => item.id)).toEqual([
      published.id,
    ])

    // The author learns the fate of their own proposals, reason included.
    const mine = await waitFor('fates at the author', async () => {
      const views = await colleague.client.call('proposal.listMine', {})
      const byId = new Map(views.map((view) => [view.id, view]))
      return byId.get(rejected.id)?.state === 'rejected' &&
        byId.get(approved.id)?.state === 'approved'
        ? byId
        : null
    })
    expect(mine.get(rejected.id)?.reason).toBe(SECRETS.rejectionReason)
    expect(mine.get(pending.id)?.state).toBe('pending')

    // Give any stray update time to land: a last published edit reaches the employee after all
    // the champion's earlier changes (one connection per document, in order).
    await c.call('item.setCaption', { id: published.id, network: 'linkedin', text: 'Last edit' })
    await waitFor('last edit at the employee', () =>
      readQueueTable(employee.dataDir).some((row) => row.captions.linkedin === 'Last edit'),
    )
    const bytes = databaseBytes(employee.dataDir)
    expect(bytes.includes(Buffer.from(PUBLISHED))).toBe(true)
    expect(foundIn(bytes, Object.values(SECRETS))).toEqual([])
    // The author holds their own proposals, never the champions' drafts or archive.
    const colleagueBytes = databaseBytes(colleague.dataDir)
    expect(
      foundIn(colleagueBytes, [SECRETS.draftTitle, SECRETS.draftCaption, SECRETS.archivedTitle]),
    ).toEqual([])
  })
})
