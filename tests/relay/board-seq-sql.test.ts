import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  postgresBoardSeqMigration,
  sqliteBoardSeqMigration,
} from '../../sync-server/board/board-seq-sql'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

// The board_seq migrations (SQLite 7, PostgreSQL 2) are generated from one list of the board's
// inputs, but they were released: a change to that list must come as a new migration, never as a
// different text of an old one (databases that ran it would differ from new installs).
describe('the released board_seq migrations', () => {
  it('are generated exactly as they were released', () => {
    const sqlite = sqliteBoardSeqMigration()
    const postgres = postgresBoardSeqMigration()
    expect([sqlite.length, sha256(sqlite)]).toEqual([
      5336,
      '03a361ff76ec5a6417f01e907fff1e3e945197767856d515a971253cf6d0e4b7',
    ])
    expect([postgres.length, sha256(postgres)]).toEqual([
      2961,
      '713f49f7a9029d3ae85fd2c91d66a26b3a557575fb6fa2b6f4db93285ff447f2',
    ])
  })
})
