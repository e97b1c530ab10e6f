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
  const workspaceId = await relay.createWorkspace(o.workspace)
  const [champion, employee] = await Promise.all([startCore(o.core), startCore(o.core)])
  await champion.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: o.champion, role: 'champion' }),
  })
  await employee.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: o.employee, role: 'employee' }),
  })
  return { relay, workspaceId, champion, employee }
}
