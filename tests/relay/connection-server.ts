import { once } from 'node:events'
import { type WebSocket, WebSocketServer } from 'ws'
import type { RoomRef } from '../../common/doc/rooms'
import type { TokenClaims } from '../../common/model/invitation'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { Connection, type RoomSource } from '../../sync-server/rooms/connection'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { tempDir } from '../helpers/process'

export type ConnectionServer = Awaited<ReturnType<typeof startConnectionServer>>

/**
 * A relay reduced to one room's connections, in the test's process: a ws server on 127.0.0.1
 * whose every socket gets a real Connection (with `claims`, an hour's token) on `ref`, its room
 * from a RoomManager on a fresh SQLite store; log lines are kept in `lines`. With `gate`, rooms
 * finish loading only once it resolves, so frames sent meanwhile queue as during a slow load.
 * `onSocket` sees each socket after its Connection took it (its listeners come after the
 * Connection's).
 */
export async function startConnectionServer(opts: {
  ref: RoomRef
  claims: Pick<TokenClaims, 'sub' | 'role' | 'name'>
  maxMessageBytes: number
  compactEvery?: number
  gate?: Promise<void>
  onSocket?: (ws: WebSocket) => void
}) {
  const db = openDatabase(tempDir('porte-voix-conn-'))
  const store = new SqliteStore(db)
  const lines: string[] = []
  const log = createLogger((line) => lines.push(line))
  const rooms = new RoomManager(store, log, {
    idleUnloadMs: 60_000,
    compactEvery: opts.compactEvery ?? 1000,
  })
  const { gate } = opts
  const source: RoomSource = gate
    ? {
        acquire: async (ref) => {
          await gate
          return rooms.acquire(ref)
        },
        release: (room) => rooms.release(room),
      }
    : rooms
  const iat = Math.floor(Date.now() / 1000)
  const claims: TokenClaims = { ...opts.claims, ws: opts.ref.workspaceId, iat, exp: iat + 3600 }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: opts.maxMessageBytes })
  await once(wss, 'listening')
  /** Every socket with its Connection, in connection order. */
  const held: { ws: WebSocket; connection: Connection }[] = []
  /** The connections that reported themselves gone (their onGone), in that order. */
  const gone: Connection[] = []
  wss.on('connection', (ws) => {
    const connection = new Connection(ws, claims, opts.ref, source, log, (c) => gone.push(c), {
      maxMessageBytes: opts.maxMessageBytes,
    })
    held.push({ ws, connection })
    opts.onSocket?.(ws)
  })
  const address = wss.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return {
    url: `ws://127.0.0.1:${address.port}/${opts.ref.workspaceId}/${opts.ref.doc}`,
    store,
    rooms,
    lines,
    held,
    gone,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      await new Promise((resolve) => wss.close(resolve))
      await rooms.closeAll()
      db.close()
    },
  }
}
