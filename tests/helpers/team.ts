import { rmSync } from 'node:fs'
import { type CoreProcess, type StartCoreOptions, startCore } from './core'
import { type RelayProcess, startRelay } from './relay'

/**
 * A relay with one workspace, and two cores (child processes, started with `core`) joined to it:
 * a champion's and an employee's, under the names given. The caller stops them.
 */
export async function joinedPair(o: {
  workspace: string
  champion: string
  employee: string
  core?: StartCoreOptions
}): Promise<{
  relay: RelayProcess
  workspaceId: string
  champion: CoreProcess
  employee: CoreProcess
}> {
  const relay = await startRelay()
  const cores = await Promise.allSettled([startCore(o.core), startCore(o.core)])
  const [champion, employee] = cores.map((c) => (c.status === 'fulfilled' ? c.value : undefined))
  try {
    for (const core of cores) if (core.status === 'rejected') throw core.reason
    if (!champion || !employee) throw new Error('unreachable: both cores started')
    const workspaceId = await relay.createWorkspace(o.workspace)
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: o.champion, role: 'champion' }),
    })
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: o.employee, role: 'employee' }),
    })
    return { relay, workspaceId, champion, employee }
  } catch (error) {
    await stopAndRemove(relay, [champion, employee])
    throw error
  }
}

/**
 * Stop the relay and the cores given (a pair whose start failed, which the caller never got)
 * and remove their folders.
 */
export async function stopAndRemove(
  relay: RelayProcess | undefined,
  cores: readonly (CoreProcess | undefined)[],
): Promise<void> {
  await Promise.allSettled([...cores.map((core) => core?.stop()), relay?.stop()])
  for (const dir of [...cores.map((core) => core?.dataDir), relay?.dataDir]) {
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
}
