import type { AddressInfo } from 'node:net'
import { createApi } from './api/router'
import { LiveAccess } from './auth/live-access'
import { BoardService } from './board/board-service'
import { QueueBoardWatch, touchBoardOnWrites } from './board/triggers'
import type { RelayConfig } from './config'
import { pruneDirectories, pruneStoredDirectories, recordMember } from './directory'
import { authorizeUpgrade } from './http/authorize'
import { createHttpServer } from './http/server'
import { LinkIndexer } from './links/indexer'
import { LinkStore } from './links/link-store'
import { createRedirect } from './links/redirect'
import { ResultsStore } from './links/results-store'
import type { Logger } from './log'
import { instrumentAppend } from './metrics/instrument-store'
import { RelayMetrics } from './metrics/metrics'
import { type Db, ensurePrivateDir, openDatabase } from './persistence/database'
import { lockDataDir } from './persistence/lock'
import { ShareStore } from './persistence/share-store'
import { SqliteStore } from './persistence/sqlite-store'
import { WorkspaceStore } from './persistence/workspace-store'
import { CLOSE, Connection } from './rooms/connection'
import { RoomManager } from './rooms/room-manager'
import { RedisDocStore } from './storage/redis/doc-store'

export type Relay = {
  host: string
  port: number
  stats(): { rooms: number; connections: number }
  metrics: RelayMetrics
  /**
   * Drain and stop: no new connections, every client closed with 1012 (service restart: clients
   * reconnect, to another node behind a load balancer), storage flushed and closed.
   */
  close(): Promise<void>
}

/** Wire storage, rooms and the HTTP/WebSocket server together, and start listening. */
export async function startRelay(config: RelayConfig, secret: string, log: Logger): Promise<Relay> {
  ensurePrivateDir(config.dataDir)
  // Several nodes (Redis + PostgreSQL) share one data dir's SQLite file for the relational
  // tables (same host, WAL): documents are not in it, so its single-owner lock is not taken.
  const cluster = config.redisUrl !== undefined && config.postgresUrl !== undefined
  const unlock = cluster ? () => {} : lockDataDir(config.dataDir)
  let db: Db
  try {
    db = openDatabase(config.dataDir, { synchronous: config.synchronous })
  } catch (error) {
    unlock()
    throw error
  }
  let docStore: RedisDocStore | null = null
  // Set once metrics exist (below): the stream lag per peer node.
  let lag: ((node: string, seconds: number) => void) | null = null
  if (config.redisUrl !== undefined && config.postgresUrl !== undefined) {
    try {
      docStore = await RedisDocStore.open({
        redisUrl: config.redisUrl,
        postgresUrl: config.postgresUrl,
        log,
        onLag: (node, seconds) => lag?.(node, seconds),
      })
    } catch (error) {
      db.close()
      throw error
    }
  }
  const store = new SqliteStore(db)
  const connections = new Set<Connection>()
  // Sources read at scrape time; `rooms` exists by the first scrape.
  const metrics = new RelayMetrics({
    connections: () => connections.size,
    rooms: () => rooms.loadedCount,
  })
  lag = (node, seconds) => metrics.streamLag.set(seconds, { source: node })
  const workspaces = new WorkspaceStore(db)
  const links = new LinkStore(db)
  const shares = new ShareStore(db)
  const indexer = new LinkIndexer(links, log)
  const results = new ResultsStore(db, shares)
  const rooms = new RoomManager(docStore ?? store, log, {
    idleUnloadMs: config.idleUnloadMs,
    compactEvery: config.compactEvery,
    readerFanoutMs: config.readerFanoutMs,
    onLoad: (room) => {
      indexer.onLoad(room)
      queueWatch.loaded(room)
    },
    hooks: {
      // Settings and challenges live in the queue (items reach the board through link_items,
      // see touchBoardOnWrites); a board loaded after a restart or a month's turn is brought
      // up to date.
      onStore: (payload): void => {
        queueWatch.stored(payload)
      },
      onLoad: ({ ref }) => {
        if (ref.doc === 'board') board.touch(ref.workspaceId)
      },
    },
  })
  // The team's results, written by the relay only (board/), a few seconds behind new results.
  const board = new BoardService({
    db,
    rooms,
    workspaces,
    log,
    debounceMs: config.boardDebounceMs,
  })
  touchBoardOnWrites(board, { shares, links, results })
  const queueWatch: QueueBoardWatch = new QueueBoardWatch(
    () => board,
    (ref) => rooms.peek(ref),
    { checks: metrics.boardQueueChecks, rebuilds: metrics.boardQueueRebuilds },
  )
  // The store rooms append to (group commit included), so latency counts the wait for the commit.
  instrumentAppend(rooms.store, metrics)
  let memberCount = workspaces.countMembers()
  const access = new LiveAccess(db, workspaces, log, {
    maxPerMember: config.maxConnectionsPerMember,
    pollMs: config.membershipPollMs,
    // Fewer members than before: someone was deleted; their name leaves the directories.
    onExternalChange: () => {
      const count = workspaces.countMembers()
      const deleted = count < memberCount
      memberCount = count
      if (!deleted) return
      board.touchAll()
      pruneDirectories(rooms, workspaces, log).catch((error: unknown) =>
        log.error('directory prune failed', { error: (error as Error).message }),
      )
    },
  })
  const stats = () => ({ rooms: rooms.loadedCount, connections: connections.size })

  const { server, wss } = createHttpServer({
    maxMessageBytes: config.maxMessageBytes,
    log,
    health: stats,
    metrics: () => metrics.render(),
    authorize: (req) => authorizeUpgrade(req, secret, workspaces),
    api: (
      (redirect, api) => (req, res) =>
        redirect(req, res) || api(req, res)
    )(
      createRedirect({ links, indexer, rooms, workspaces, log }),
      createApi({
        secret,
        workspaces,
        shares,
        links,
        results,
        rooms,
        log,
        deviceTokenSeconds: config.deviceTokenSeconds,
        onMemberDeleted: () => {
          // Same process: data_version does not move, so re-check and prune here.
          access.recheck()
          board.touchAll()
          memberCount = workspaces.countMembers()
          pruneDirectories(rooms, workspaces, log).catch((error: unknown) =>
            log.error('directory prune failed', { error: (error as Error).message }),
          )
        },
      }),
    ),
    admit: ({ claims }) => access.admit(claims.sub),
    onConnection: (ws, { claims, ref, generation, device }, req) => {
      const connection = new Connection(
        ws,
        claims,
        ref,
        rooms,
        log,
        (gone) => {
          connections.delete(gone)
          access.remove(gone)
        },
        { maxMessageBytes: config.maxMessageBytes },
      )
      connections.add(connection)
      metrics.connectionsAccepted.inc()
      // An invitation token has no device id of its own: it counts as one device until renewed.
      access.add(connection, generation, device ?? `invitation-${generation}`)
      log.info('connection accepted', {
        conn: connection.id,
        room: connection.roomName,
        member: claims.sub,
        role: claims.role,
        access: connection.access,
        remote: req.socket.remoteAddress,
      })
      const workspace = workspaces.getWorkspace(ref.workspaceId)
      if (workspace) {
        recordMember(rooms, workspace, claims, log, config.publicUrl ?? null).catch(
          (error: unknown) =>
            log.error('directory update failed', {
              member: claims.sub,
              error: (error as Error).message,
            }),
        )
      }
    },
  })

  // Keepalive: a connection that did not answer the previous ping is dead (laptop lid closed,
  // NAT timeout); expired tokens are closed at the same cadence.
  const keepalive = setInterval(() => {
    const nowSeconds = Date.now() / 1000
    for (const connection of connections) {
      if (connection.claims.exp <= nowSeconds) {
        log.info('token expired', { conn: connection.id, member: connection.claims.sub })
        connection.close(CLOSE.tokenExpired, 'token expired')
      } else if (!connection.alive) {
        connection.terminate('no pong to keepalive ping')
      } else {
        connection.ping()
      }
    }
  }, config.pingIntervalMs)
  keepalive.unref()

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    clearInterval(keepalive)
    access.close()
    db.close()
    unlock()
    throw error
  }
  server.on('error', (error) => log.error('server error', { error: error.message }))
  pruneStoredDirectories(rooms, workspaces, log).catch((error: unknown) =>
    log.error('directory prune failed', { error: (error as Error).message }),
  )
  // Boards brought up to date at start: a member deleted or removed while the relay was stopped
  // leaves the leaderboard (and the stored board), a new month starts its own.
  board.touchAll()
  const address = server.address() as AddressInfo

  let closing: Promise<void> | null = null
  const close = () => {
    closing ??= (async () => {
      metrics.draining.set(1)
      clearInterval(keepalive)
      access.close()
      // Stop accepting first: an upgrade arriving now gets no socket, so no client is served by a
      // relay that is about to go.
      server.close()
      log.info('draining connections', { count: connections.size })
      for (const connection of [...connections]) {
        connection.close(SERVICE_RESTART, 'relay restarting, reconnect')
      }
      wss.close()
      queueWatch.close()
      await board.close()
      // Every update received so far was stored before it was sent; closeAll compacts and
      // flushes what the rooms still hold before the database closes.
      await rooms.closeAll()
      await closeFramesSent(wss, DRAIN_CLOSE_WAIT_MS)
      access.flushTouches()
      db.close()
      unlock()
      server.closeAllConnections()
    })()
    return closing
  }

  return { host: address.address, port: address.port, stats, metrics, close }
}

/** RFC 6455 1012 "service restart": y-websocket and the core reconnect (unlike 4400–4499). */
const SERVICE_RESTART = 1012

/** How long a drain waits for clients to answer the close frame before cutting their sockets. */
const DRAIN_CLOSE_WAIT_MS = 2000

/**
 * Resolve once every socket has finished its closing handshake (so each client saw 1012, not a
 * reset it might treat differently), or after `ms`.
 */
function closeFramesSent(wss: { clients: Set<unknown> }, ms: number): Promise<void> {
  if (wss.clients.size === 0) return Promise.resolve()
  return new Promise((resolve) => {
    const deadline = Date.now() + ms
    const poll = setInterval(() => {
      if (wss.clients.size === 0 || Date.now() >= deadline) {
        clearInterval(poll)
        resolve()
      }
    }, 20)
  })
}
