import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { CoreClient } from '../../common/contract/client'
import type { Item } from '../../common/model/item'
import { Core } from '../../main/core/core'
import { type CoreProcess, clientOf, startCore } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { openReplica } from '../helpers/replica'
import { waitFor } from '../helpers/wait'

/**
 * Random concurrent edits by three replicas — item creation, plain-field patches, caption
 * inserts and deletes — with random disconnections and restarts. Nothing waits between
 * operations, so edits race each other through the relay. At the end every replica's
 * document and every SQLite queue table must be identical.
 */
type Op =
  | { kind: 'create'; replica: number; priority: number }
  | { kind: 'patch'; replica: number; target: number; priority: number; archived: boolean }
  | { kind: 'insert'; replica: number; target: number; pos: number; text: string }
  | { kind: 'delete'; replica: number; target: number; pos: number; length: number }
  | { kind: 'offline'; replica: number }
  | { kind: 'online'; replica: number }
  | { kind: 'restart'; replica: number }

const replicaArb = fc.integer({ min: 0, max: 2 })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      replica: replicaArb,
      priority: fc.integer({ min: 0, max: 100 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('patch' as const),
      replica: replicaArb,
      target: fc.nat(),
      priority: fc.integer({ min: 0, max: 100 }),
      archived: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      replica: replicaArb,
      target: fc.nat(),
      pos: fc.nat(),
      text: fc.string({ minLength: 1, maxLength: 6 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      replica: replicaArb,
      target: fc.nat(),
      pos: fc.nat(),
      length: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('offline' as const), replica: replicaArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('online' as const), replica: replicaArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('restart' as const), replica: replicaArb }),
  },
)

/** One replica as the property drives it, whichever way the core runs. */
interface Replica {
  client(): CoreClient
  offline(): Promise<void>
  online(): Promise<void>
  restart(): Promise<void>
  /** The core's queue document, read through a window replica. */
  queueDoc(): Promise<Y.Doc>
  table(): Item[]
}

async function apply(op: Op, replicas: Replica[], n: { value: number }): Promise<void> {
  const replica = replicas[op.replica]
  if (!replica) return
  const client = replica.client()
  const pick = async (target: number) => {
    const items = await client.call('queue.list', {})
    return items.length === 0 ? null : (items[target % items.length] ?? null)
  }
  switch (op.kind) {
    case 'create':
      n.value++
      await client.call('item.create', {
        title: `Item ${n.value}`,
        url: `https://example.com/${n.value}`,
        objective: 'awareness',
        priority: op.priority,
        captions: { linkedin: 'base' },
      })
      return
    case 'patch': {
      const item = await pick(op.target)
      if (item) {
        await client.call('item.update', {
          id: item.id,
          patch: { priority: op.priority, status: op.archived ? 'archived' : 'approved' },
        })
      }
      return
    }
    case 'insert':
    case 'delete': {
      const item = await pick(op.target)
      if (!item) return
      const current = item.captions.linkedin ?? ''
      const pos = op.pos % (current.length + 1)
      const next =
        op.kind === 'insert'
          ? current.slice(0, pos) + op.text + current.slice(pos)
          : current.slice(0, pos) + current.slice(pos + op.length)
      await client.call('item.setCaption', { id: item.id, network: 'linkedin', text: next })
      return
    }
    case 'offline':
      return replica.offline()
    case 'online':
      return replica.online()
    case 'restart':
      return replica.restart()
  }
}

function docState(doc: Y.Doc): unknown {
  return { items: doc.getMap('items').toJSON(), campaigns: doc.getMap('campaigns').toJSON() }
}

async function expectConverged(replicas: Replica[]): Promise<number> {
  for (const replica of replicas) await replica.online()
  const settled = await waitFor(
    'replicas converged',
    async () => {
      const docs = await Promise.all(replicas.map((replica) => replica.queueDoc()))
      const states = docs.map((doc) => JSON.stringify(docState(doc)))
      const vectors = docs.map((doc) =>
        JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(doc))].sort()),
      )
      for (const doc of docs) doc.destroy()
      if (new Set(states).size !== 1 || new Set(vectors).size !== 1) return undefined
      const tables = replicas.map((replica) => JSON.stringify(replica.table()))
      return new Set(tables).size === 1 ? { states, tables } : undefined
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  )
  expect(new Set(settled.states).size).toBe(1)
  expect(new Set(settled.tables).size).toBe(1)
  return (JSON.parse(settled.tables[0] ?? '[]') as unknown[]).length
}

async function readDoc(client: CoreClient): Promise<Y.Doc> {
  const replica = openReplica(client, 'queue')
  // A status round trip after the step-1 request: the step-2 answer arrives before it.
  await client.call('status.get', {})
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(replica.doc))
  replica.close()
  return copy
}

describe('convergence (property-based)', () => {
  let relay: RelayProcess
  const stats: { ops: number; items: number }[] = []

  beforeAll(async () => {
    relay = await startRelay()
  })
  afterAll(async () => {
    await relay?.stop()
    const ops = stats.reduce((sum, s) => sum + s.ops, 0)
    const items = stats.reduce((sum, s) => sum + s.items, 0)
    console.log(`[convergence] ${stats.length} runs, ${ops} operations, ${items} items converged`)
  })

  it('in-process cores: random edits, disconnections and restarts converge', async () => {
    let runs = 0
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 60 }), async (ops) => {
        runs++
        const workspaceId = await relay.createWorkspace(`conv-${runs}`)
        const replicas = await Promise.all(
          ['champion', 'champion', 'admin'].map(async (role, index) => {
            const dataDir = tempDir('pv-conv-')
            const invitation = await relay.invite({
              workspaceId,
              name: `R${index}`,
              role: role as 'champion',
            })
            let core = await Core.open({ dataDir, maxBackoffMs: 300 })
            let client = clientOf(core)
            await client.call('workspace.join', { invitation })
            const replica: Replica = {
              client: () => client,
              offline: async () => core.setNetwork(false),
              online: async () => core.setNetwork(true),
              restart: async () => {
                await core.close()
                core = await Core.open({ dataDir, maxBackoffMs: 300 })
                client = clientOf(core)
              },
              queueDoc: () => readDoc(client),
              table: () => core.store.queue.list(),
            }
            return { replica, close: () => core.close() }
          }),
        )
        try {
          const n = { value: 0 }
          await Promise.all(
            [0, 1, 2].map(async (lane) => {
              for (const op of ops.filter((o) => o.replica === lane)) {
                await apply(
                  op,
                  replicas.map((r) => r.replica),
                  n,
                )
              }
            }),
          )
          const items = await expectConverged(replicas.map((r) => r.replica))
          stats.push({ ops: ops.length, items })
        } finally {
          await Promise.all(replicas.map((r) => r.close()))
        }
      }),
      { numRuns: 25, endOnFailure: true },
    )
  })

  it('core processes: random edits with kills and restarts converge in every SQLite file', async () => {
    let runs = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 5, maxLength: 25 }),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        async (ops, killInsteadOfStop) => {
          runs++
          const workspaceId = await relay.createWorkspace(`conv-proc-${runs}`)
          const processes: CoreProcess[] = await Promise.all([0, 1, 2].map(() => startCore()))
          const replicas: Replica[] = processes.map((_, index) => {
            let proc = processes[index] as CoreProcess
            return {
              client: () => proc.client,
              // A process is "offline" by being down; it comes back on the same data.
              offline: async () => {},
              online: async () => {},
              restart: async () => {
                if (killInsteadOfStop[index]) await proc.kill()
                else await proc.stop()
                proc = await startCore({ dataDir: proc.dataDir })
                processes[index] = proc
              },
              queueDoc: () => readDoc(proc.client),
              table: () => readQueueTable(proc.dataDir).sort((a, b) => a.id.localeCompare(b.id)),
            }
          })
          try {
            await Promise.all(
              processes.map(async (proc, index) =>
                proc.client.call('workspace.join', {
                  invitation: await relay.invite({
                    workspaceId,
                    name: `P${index}`,
                    role: 'champion',
                  }),
                }),
              ),
            )
            const n = { value: 0 }
            await Promise.all(
              [0, 1, 2].map(async (lane) => {
                for (const op of ops.filter((o) => o.replica === lane)) await apply(op, replicas, n)
              }),
            )
            const items = await expectConverged(replicas)
            stats.push({ ops: ops.length, items })
          } finally {
            await Promise.all(processes.map((proc) => proc.stop()))
          }
        },
      ),
      { numRuns: 3, endOnFailure: true },
    )
  })
})
