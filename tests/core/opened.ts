import { afterAll, expect } from 'vitest'
import type { CoreClient } from '../../common/contract/client'
import { Core, type CoreOptions } from '../../main/core/core'
import { clientOf } from '../helpers/core'
import { removeTempDir, tempDir } from '../helpers/process'
import type { InviteOptions, RelayProcess } from '../helpers/relay'
import { joinedPair } from '../helpers/team'
import { waitFor } from '../helpers/wait'

/**
 * What a core suite's tests open, put away after all of them: the cores closed first (their
 * links to the relays go with them), then the relays stopped and their folders removed, then the
 * temp dirs. A relay stopped by its test (or stopped twice, after a restart on the same folder)
 * is fine: stopping waits for the exit it already had.
 */
export function openedInSuite(): { cores: Core[]; relays: RelayProcess[]; dirs: string[] } {
  const opened = { cores: [] as Core[], relays: [] as RelayProcess[], dirs: [] as string[] }
  afterAll(async () => {
    for (const core of opened.cores) await core.close()
    for (const relay of opened.relays) {
      await relay.stop()
      removeTempDir(relay.dataDir)
    }
    for (const dir of opened.dirs) removeTempDir(dir)
  })
  return opened
}

/**
 * A core as the relay-backed suites open it: the join waits for the relay, reconnects and outbox
 * retries are quick, and nothing opens a browser (`extra` overrides any of it).
 */
export async function openRelayCore(
  dataDir: string,
  extra: Partial<CoreOptions> = {},
): Promise<{ core: Core; client: CoreClient }> {
  const core = await Core.open({
    dataDir,
    joinWaitMs: 3_000,
    maxBackoffMs: 300,
    outboxMinBackoffMs: 50,
    outboxMaxBackoffMs: 400,
    opener: { open: async () => {} },
    ...extra,
  })
  return { core, client: clientOf(core) }
}

/** A relay, a workspace, and Chloé's (champion) and Eric's (employee) cores joined to it. */
export const championAndEmployee = (workspace: string) =>
  joinedPair({ workspace, champion: 'Chloé', employee: 'Eric' })

/**
 * A champion's core (Cam) on a new temp dir, joined to a new workspace on `relay`, with one small
 * published item synced. It reconnects quickly and does not resend a refused change for an
 * hour: the refusal suites discard it. The core and the dir go in `opened`.
 */
export async function championWithOneItem(
  relay: RelayProcess,
  opened: { cores: Core[]; dirs: string[] },
  dirPrefix: string,
) {
  const workspaceId = await relay.createWorkspace('Acme')
  const dataDir = tempDir(dirPrefix)
  opened.dirs.push(dataDir)
  const core = await Core.open({ dataDir, maxBackoffMs: 200, refusedRetryMs: 3_600_000 })
  opened.cores.push(core)
  const client = clientOf(core)
  await client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: 'Cam', role: 'champion' }),
  })
  const kept = await client.call('item.create', {
    title: 'Small',
    url: 'https://acme.example/small',
    objective: 'awareness',
    status: 'published',
  })
  await waitFor('synced', async () => (await client.call('status.get', {})).sync === 'synced')
  return { workspaceId, dataDir, core, client, kept }
}

/** Eric, the employee the relay-backed suites share as, under a member id they can look for. */
export const ERIC = { name: 'Eric', role: 'employee', memberId: 'mem_eric' } as const

/** `client`'s core joins a workspace on `relay` with a fresh invitation. */
export async function joinWith(client: CoreClient, relay: RelayProcess, invite: InviteOptions) {
  return client.call('workspace.join', { invitation: await relay.invite(invite) })
}

/**
 * Discard the change the relay refused (or would have): the queue is the one discarded, the
 * core syncs again, and resolves with the queue's item ids once `kept` is back in it.
 */
export async function discardQueue(client: CoreClient, kept: { id: string }): Promise<string[]> {
  expect(await client.call('doc.discardRefused', {})).toEqual({ discarded: ['queue'] })
  await waitFor('synced again', async () => (await client.call('status.get', {})).sync === 'synced')
  return waitFor('the queue back from the relay', async () => {
    const list = (await client.call('queue.list', {})).map((item) => item.id)
    return list.includes(kept.id) ? list : undefined
  })
}
