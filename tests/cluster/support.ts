import type { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { removeTempDir, tempDir } from '../helpers/process'
import { type RelayProcess, type StartRelayOptions, startRelay } from '../helpers/relay'
import type { TestServer } from '../helpers/servers'
import { suiteServers } from '../helpers/suite-servers'
import { provider, type RawClient } from '../relay/support'

/**
 * Relay nodes on one Redis + PostgreSQL, sharing one data dir for its signing secret only
 * (documents are in Redis + PostgreSQL, the relational tables in PostgreSQL; nodes with their
 * own data dirs and a shared PORTE_VOIX_RELAY_SECRET: multi-machine.test.ts).
 */
export type Cluster = {
  dataDir: string
  nodes: RelayProcess[]
  /** Start one more node on the same storage (a node started late, or a replacement). */
  add(opts?: StartRelayOptions): Promise<RelayProcess>
  /** Stop every node still running, and remove the data dir. */
  stop(): Promise<void>
}

export function clusterArgs(redis: TestServer, postgres: TestServer): string[] {
  return ['--redis-url', redis.url, '--postgres-url', postgres.url]
}

export async function startCluster(
  count: number,
  redis: TestServer,
  postgres: TestServer,
  opts: StartRelayOptions = {},
): Promise<Cluster> {
  const dataDir = tempDir('porte-voix-cluster-')
  const nodes: RelayProcess[] = []
  const add = async (more: StartRelayOptions = {}) => {
    const node = await startRelay({
      ...opts,
      ...more,
      dataDir,
      args: [...clusterArgs(redis, postgres), ...(opts.args ?? []), ...(more.args ?? [])],
    })
    nodes.push(node)
    return node
  }
  // One after another: the first creates the data dir's secret the others read.
  for (let i = 0; i < count; i++) await add()
  return {
    dataDir,
    nodes,
    add,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()))
      removeTempDir(dataDir)
    },
  }
}

/** A real y-websocket client on `node` that can be moved to another node (next reconnect). */
export function clientOn(
  node: RelayProcess,
  workspaceId: string,
  token: string,
  doc: 'queue' | 'directory' = 'queue',
): WebsocketProvider {
  return provider(node.url, workspaceId, doc, token, new Y.Doc())
}

export function moveTo(client: WebsocketProvider, node: RelayProcess): void {
  client.serverUrl = node.url
}

export { prng } from '../helpers/prng'

/**
 * A suite's own Redis and PostgreSQL (started before its tests), the cluster its tests start on
 * them, and the clients they open: clients closed, nodes and servers stopped after the suite.
 */
export function clusterSuite() {
  let cluster: Cluster | undefined
  const providers: WebsocketProvider[] = []
  const raws: RawClient[] = []
  const servers = suiteServers({
    stopFirst: async () => {
      for (const p of providers) p.destroy()
      for (const r of raws) r.ws.terminate()
      await cluster?.stop()
    },
  })
  return {
    providers,
    raws,
    get redis(): TestServer {
      return servers.redis
    },
    get postgres(): TestServer {
      return servers.postgres
    },
    get cluster(): Cluster | undefined {
      return cluster
    },
    /** Start the suite's cluster of `count` nodes on its servers. */
    async start(count: number, opts: StartRelayOptions = {}): Promise<Cluster> {
      cluster = await startCluster(count, servers.redis, servers.postgres, opts)
      return cluster
    },
  }
}
