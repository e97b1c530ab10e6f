import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createApi } from './api/router'
import { LiveAccess } from './auth/live-access'
import { BoardService } from './board/board-service'
import { QueueBoardWatch, touchBoardOnWrites } from './board/triggers'
import { coalescedTask } from './coalesced-task'
import type { RelayConfig } from './config'
import { DirectoryRecorder, pruneDirectories, pruneStoredDirectories } from './directory'
import { authorizeUpgrade, authorizeUpgradeNow } from './http/authorize'
import { createHttpServer, peerAddress } from './http/server'
import { LinkIndexer } from './links/indexer'
import { createRedirect } from './links/redirect'
import type { Logger } from './log'
import { instrumentAppend } from './metrics/instrument-store'
import { RelayMetrics } from './metrics/metrics'
import { type Db, ensurePrivateDir, openDatabase } from './persistence/database'
import { lockDataDir } from './persistence/lock'
import { openSqliteRelational, type RelationalStores } from './persistence/relational'
import { SqliteStore } from './persistence/sqlite-store'
import { CLOSE, Connection } from './rooms/connection'
import { RoomManager } from './rooms/room-manager'
import { openPgRelational } from './storage/postgres/relational'
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
  // Several nodes (Redis + PostgreSQL, issue 11.2): documents in Redis + PostgreSQL, relational
  // tables in PostgreSQL; nothing is read from or written to the data dir's SQLite file (it is
  // not even opened), so a node needs no shared data dir and takes no data-dir lock: what must
  // happen once per deployment takes a lease in the shared store instead (see `once` below).
  const cluster = config.redisUrl !== undefined && config.postgresUrl !== undefined
  const unlock = cluster ? () => {} : lockDataDir(config.dataDir)
  let db: Db | null = null
  let docStore: RedisDocStore | null = null
  let relational: RelationalStores
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
      unlock()
      throw error
    }
    try {
      relational = await openPgRelational({ url: config.postgresUrl, log, listen: true })
    } catch (error) {
      await docStore.close().catch(() => {})
      throw new Error(
        `cannot reach PostgreSQL for the relational tables: ${(error as Error).message}`,
      )
    }
  } else {
    try {
      db = openDatabase(config.dataDir, { synchronous: config.synchronous })
    } catch (error) {
      unlock()
      throw error
    }
    relational = openSqliteRelational(db, { pollMs: config.membershipPollMs, log })
  }
  const sqliteDb = db
  const store = sqliteDb ? new SqliteStore(sqliteDb) : null
  const closeStorage = async () => {
    await relational
      .close()
      .catch((error: unknown) =>
        log.error('relational store close failed', { error: (error as Error).message }),
      )
    sqliteDb?.close()
    unlock()
  }
  const connections = new Set<Connection>()
  // Sources read at scrape time; `rooms` exists by the first scrape.
  const metrics = new RelayMetrics({
    connections: () => connections.size,
    rooms: () => rooms.loadedCount,
  })
  lag = (node, seconds) => metrics.streamLag.set(seconds, { source: node })
  const { workspaces, links, shares, results } = relational
  /**
   * After members were erased from the documents and tables: the backend's files forget them
   * too (PostgreSQL VACUUM + CHECKPOINT, Redis AOF rewrite, SQLite's WAL truncated).
   */
  const purgeErased = async () => {
    // First, as its fold writes to the WAL that SQLite's purge then truncates.
    rooms.purgeJournal()
    await Promise.all([relational.purgeErased?.(), docStore?.purgeErased()])
    if (relational.purgeErased || docStore) log.info('erased members purged from storage files')
  }
  /**
   * The board's folds purge in the background, one purge at a time and the folds meanwhile
   * coalesced into one more: a board rebuild (and a drain, which waits for rebuilds) never waits
   * for a VACUUM FULL or an AOF rewrite, which can take minutes on a busy backend.
   */
  const backgroundPurge = coalescedTask(purgeErased, {
    onError: (error: unknown) =>
      log.error('purge after the board fold failed', { error: (error as Error).message }),
    stopped: () => closing !== null,
  })
  const indexer = new LinkIndexer(links, log)
  const rooms = new RoomManager((docStore ?? store) as RedisDocStore | SqliteStore, log, {
    idleUnloadMs: config.idleUnloadMs,
    compactEvery: config.compactEvery,
    readerFanoutMs: config.readerFanoutMs,
    updateJournal: config.updateJournal === 'on',
    onLoad: (room) => {
      indexer.onLoad(room)
      queueWatch.loaded(room)
    },
    hooks: {
      // Settings and challenges live in the queue (items reach the board through link_items,
      // see touchBoardOnWrites); a board loaded after a restart or a month's turn is brought
      // up to date.
      onStore: (payload): void => {
        // Only a change under settings or challenges can move what the board reads of the
        // queue (boardInputs): a keystroke in an item schedules no look (issue 11.3).
        if (payload.touches?.(['settings', 'challenges']) ?? true) queueWatch.stored(payload)
      },
      onLoad: ({ ref }) => {
        if (ref.doc === 'board') board.touch(ref.workspaceId)
      },
    },
  })
  // The team's results, written by the relay only (board/), a few seconds behind new results.
  const board = new BoardService({
    source: relational.board,
    rooms,
    workspaces,
    log,
    debounceMs: config.boardDebounceMs,
    // A member who left the board leaves the storage files too (the fold may follow the purge).
    onHistoryFolded: async () => backgroundPurge.run(),
  })
  touchBoardOnWrites(board, { shares, links, results })
  const queueWatch: QueueBoardWatch = new QueueBoardWatch(
    () => board,
    (ref) => rooms.peek(ref),
    { checks: metrics.boardQueueChecks, rebuilds: metrics.boardQueueRebuilds },
  )
  // The store rooms append to (group commit included), so latency counts the wait for the commit.
  instrumentAppend(rooms.store, metrics)
  let memberCount = await workspaces.countMembers()
  const access = new LiveAccess(workspaces, relational.watchMembers, log, {
    maxPerMember: config.maxConnectionsPerMember,
    // Fewer members than before: someone was deleted; their name leaves the directories.
    onExternalChange: () => {
      workspaces
        .countMembers()
        .then(
          (count) => {
            const deleted = count < memberCount
            memberCount = count
            if (!deleted) return
            board.touchAll()
            return pruneDirectories(rooms, workspaces, log).then(purgeErased)
          },
          () => {},
        )
        .catch((error: unknown) =>
          log.error('directory prune failed', { error: (error as Error).message }),
        )
    },
  })
  const stats = () => ({ rooms: rooms.loadedCount, connections: connections.size })
  /**
   * Run `task` on one node of the deployment: under the store's lease (Redis across nodes; the
   * data dir's lock already makes a single node the only one). A node that finds the lease held
   * leaves the task to its holder.
   */
  const once = async (key: string, task: () => Promise<void>) => {
    const lease = await rooms.store.leases.acquire(`relay:${key}`, ONCE_LEASE_MS)
    if (!lease) return
    try {
      await task()
    } finally {
      await lease.release()
    }
  }

  // One of each for every connection (a closure per connect was kept as long as the socket).
  const onGone = (gone: Connection) => {
    connections.delete(gone)
    access.remove(gone)
  }
  const connectionOptions = { maxMessageBytes: config.maxMessageBytes }
  /** Per upgrade authorized asynchronously: LiveAccess.changes before its member read. */
  const changesBefore = new WeakMap<IncomingMessage, number>()
  const directory = new DirectoryRecorder(
    rooms,
    log,
    config.publicUrl ?? null,
    config.readerFanoutMs,
  )
  const redirect = createRedirect({ links, indexer, rooms, workspaces, log })
  const { server, wss } = createHttpServer({
    maxMessageBytes: config.maxMessageBytes,
    log,
    health: stats,
    metrics: () => metrics.render(),
    authorize: (req) => {
      // Before the member read, which may await PostgreSQL: see LiveAccess.changes.
      changesBefore.set(req, access.changes)
      return authorizeUpgrade(req, secret, workspaces)
    },
    authorizeNow: (req) => authorizeUpgradeNow(req, secret, workspaces),
    api: (
      (redirect, api) => (req, res) =>
        redirect(req, res) || api(req, res)
    )(
      redirect,
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
          void access.recheck()
          board.touchAll()
          workspaces
            .countMembers()
            .then((count) => {
              memberCount = count
              return pruneDirectories(rooms, workspaces, log).then(purgeErased)
            })
            .catch((error: unknown) =>
              log.error('directory prune failed', { error: (error as Error).message }),
            )
        },
      }),
    ),
    admit: ({ claims }) => access.admit(claims.sub),
    onConnection: (ws, { claims, ref, generation, device, workspace }, req) => {
      const connection = new Connection(ws, claims, ref, rooms, log, onGone, connectionOptions)
      connections.add(connection)
      metrics.connectionsAccepted.inc()
      // An invitation token has no device id of its own: it counts as one device until renewed.
      access.add(
        connection,
        generation,
        device ?? `invitation-${generation}`,
        changesBefore.get(req),
      )
      log.info('connection accepted', {
        conn: connection.id,
        room: connection.roomName,
        member: claims.sub,
        role: claims.role,
        access: connection.access,
        remote: peerAddress(req.socket),
      })
      // The workspace the upgrade was authorized with (read once per connect).
      directory.record(workspace, claims).catch((error: unknown) =>
        log.error('directory update failed', {
          member: claims.sub,
          error: (error as Error).message,
        }),
      )
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
    await access.close()
    await docStore?.close().catch(() => {})
    await closeStorage()
    throw error
  }
  server.on('error', (error) => log.error('server error', { error: error.message }))
  // Start-up upkeep: members deleted while the relay was stopped leave the directories, and
  // boards are brought up to date (a deleted or removed member leaves the leaderboard, a new
  // month starts its own). With several nodes one of those starting at once does it (a lease).
  once('startup-upkeep', async () => {
    board.touchAll()
    await pruneStoredDirectories(rooms, workspaces, log)
    await purgeErased()
  }).catch((error: unknown) =>
    log.error('directory prune failed', { error: (error as Error).message }),
  )
  const address = server.address() as AddressInfo

  let closing: Promise<void> | null = null
  const close = () => {
    closing ??= (async () => {
      metrics.draining.set(1)
      clearInterval(keepalive)
      void access.close()
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
      // Members who connected in the last batch window go into the directory before it closes.
      await directory.flush()
      // Every update received so far was stored before it was sent; closeAll compacts and
      // flushes what the rooms still hold before the database closes.
      await rooms.closeAll()
      await closeFramesSent(wss, DRAIN_CLOSE_WAIT_MS)
      await access.close()
      // Clicks queued while storage was down: a last attempt before the stores close.
      await redirect.close()
      await closeStorage()
      server.closeAllConnections()
    })()
    return closing
  }

  return { host: address.address, port: address.port, stats, metrics, close }
}

/** How long a start-up upkeep lease lasts (it is released when done). */
const ONCE_LEASE_MS = 60_000

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
