import { afterAll, describe, expect, it } from 'vitest'
import { newShareId } from '../../common/share'
import { SqliteLinkStore } from '../../sync-server/links/link-store'
import { openDatabase } from '../../sync-server/persistence/database'
import { removeTempDir, tempDir } from '../helpers/process'

const dir = tempDir('porte-voix-links-')
const db = openDatabase(dir)
const links = new SqliteLinkStore(db)

afterAll(() => {
  db.close()
  removeTempDir(dir)
})

const click = (shareId: string, at: string, ip = '203.0.113.7', uaFamily = 'firefox/linux') =>
  links.recordClick({
    workspaceId: 'ws_acme',
    shareId,
    itemId: 'item_a',
    network: 'linkedin',
    ip,
    uaFamily,
    at: new Date(at),
  })

describe('click uniqueness and forgetting visitors', () => {
  it('counts one visitor once within 24 h, across midnight, and again after', async () => {
    const share = newShareId()
    expect(await click(share, '2026-03-01T23:59:00Z')).toBe(true)
    expect(await click(share, '2026-03-02T00:01:00Z')).toBe(false)
    expect(await click(share, '2026-03-02T00:02:00Z', '203.0.113.8')).toBe(true)
    expect(await click(share, '2026-03-02T00:03:00Z', '203.0.113.7', 'safari/ios')).toBe(true)
    expect(await click(share, '2026-03-03T00:05:00Z')).toBe(true)
  })

  it('clears visitor hashes once their key is gone, and never stores the address', async () => {
    const share = newShareId()
    await click(share, '2026-03-10T10:00:00Z')
    await click(share, '2026-03-13T10:00:00Z')
    const rows = db
      .prepare('SELECT at, visitor FROM clicks WHERE share_id = ? ORDER BY at')
      .all(share) as { at: string; visitor: string | null }[]
    expect(rows[0]?.visitor).toBeNull()
    expect(rows[1]?.visitor).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(JSON.stringify(db.prepare('SELECT * FROM clicks').all())).not.toContain('203.0.113')
  })
})
