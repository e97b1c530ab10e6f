/**
 * Issue 8.3, offline: a champion's core makes many changes while the relay is away, each well
 * under the limit, that add up to more than the relay's frame limit (1 MiB by default). On
 * reconnecting, the answer to the relay's sync step 1 holds all of them; sent as one sync step 2
 * the relay closed it (1009) and the work never reached anyone. It is sent as several updates
 * that each fit: every edit reaches the relay and another champion, nothing is closed, and the
 * core ends synced on its first connection. The offline work spans a core restart (a new Yjs
 * client that builds on the first one's items, and a compaction that folds them into one
 * snapshot on close), so the parts must be applied in dependency order at the relay.
 */
import { describe, expect, it } from 'vitest'
import { ITEM_LIMITS } from '../../common/model/item'
import { Core } from '../../main/core/core'
import { clientOf } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { queueConnections } from '../helpers/relay-log'
import { waitFor } from '../helpers/wait'
import { openedInSuite } from './opened'

const { cores, relays, dirs } = openedInSuite()
let relay: RelayProcess | null = null

const CAM = 'mem_cam'
/** Every core's log lines (the split is logged by the core that sends it). */
const coreLog: string[] = []

/** About 200 KB: one network's 20 variants at the caption limit, distinct per item. */
function bigVariants(seed: number) {
  const variant = (index: number) =>
    `${seed}-${index} `.padEnd(ITEM_LIMITS.caption, String.fromCharCode(97 + ((seed + index) % 26)))
  return {
    linkedin: Array.from({ length: ITEM_LIMITS.variants }, (_, index) => variant(index)),
  }
}

async function open(dataDir: string): Promise<Core> {
  const core = await Core.open({
    dataDir,
    maxBackoffMs: 200,
    refusedRetryMs: 3_600_000,
    log: (line) => coreLog.push(line),
  })
  cores.push(core)
  return core
}

async function close(core: Core): Promise<void> {
  cores.splice(cores.indexOf(core), 1)
  await core.close()
}

describe('offline work larger than the relay’s frame limit', () => {
  it('reaches the relay and a colleague in parts that fit, with no close and no loop', async () => {
    relay = await startRelay()
    relays.push(relay)
    const workspaceId = await relay.createWorkspace('Acme')
    const camDir = tempDir('pv-offline-large-cam-')
    const danaDir = tempDir('pv-offline-large-dana-')
    dirs.push(camDir, danaDir)

    let cam = await open(camDir)
    await clientOf(cam).call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Cam', role: 'champion', memberId: CAM }),
    })
    const dana = await open(danaDir)
    const danaClient = clientOf(dana)
    await danaClient.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Dana', role: 'champion' }),
    })
    const before = await clientOf(cam).call('item.create', {
      title: 'Before',
      url: 'https://acme.example/before',
      objective: 'awareness',
      status: 'published',
    })
    for (const client of [clientOf(cam), danaClient]) {
      await waitFor('synced', async () => (await client.call('status.get', {})).sync === 'synced')
    }
    await waitFor('Dana has the first item', async () =>
      (await danaClient.call('queue.list', {})).some((item) => item.id === before.id),
    )

    // The relay goes away; Cam keeps curating.
    const { port, dataDir: relayDir } = relay
    await relay.stop()
    await waitFor(
      'Cam offline',
      async () => (await clientOf(cam).call('status.get', {})).sync === 'offline',
    )
    const made: { id: string; title: string }[] = []
    const create = async (core: Core, index: number) => {
      const item = await clientOf(core).call('item.create', {
        title: `Offline ${index}`,
        url: `https://acme.example/offline-${index}`,
        objective: 'awareness',
        status: 'published',
        variants: bigVariants(index),
      })
      made.push({ id: item.id, title: item.title })
    }
    for (let index = 0; index < 4; index++) await create(cam, index)
    // Cam quits and starts again, still offline: a new Yjs client, edits on the first one's items.
    await close(cam)
    cam = await open(camDir)
    for (let index = 4; index < 7; index++) await create(cam, index)
    for (const item of made.slice(0, 4)) {
      await clientOf(cam).call('item.update', {
        id: item.id,
        patch: { title: `${item.title}, revised` },
      })
      item.title = `${item.title}, revised`
    }
    await clientOf(cam).call('item.update', { id: before.id, patch: { title: 'Before, revised' } })

    relay = await startRelay({ port, dataDir: relayDir })
    relays.push(relay)

    const running = relay
    await waitFor(
      'Dana has every offline edit',
      async () => {
        const list = await danaClient.call('queue.list', {})
        const titles = new Map(list.map((item) => [item.id, item.title]))
        return (
          titles.get(before.id) === 'Before, revised' &&
          made.every((item) => titles.get(item.id) === item.title)
        )
      },
      { timeoutMs: 45_000 },
    )
    const got = await danaClient.call('queue.list', {})
    for (const item of made) {
      const variants = got.find((entry) => entry.id === item.id)?.variants.linkedin ?? []
      expect(variants).toHaveLength(ITEM_LIMITS.variants)
    }
    await waitFor(
      'Cam synced',
      async () => (await clientOf(cam).call('status.get', {})).sync === 'synced',
    )
    const status = await clientOf(cam).call('status.get', {})
    expect(status.problem).toBeNull()
    const split = coreLog
      .map((line) => /sync queue: (\d+) bytes the relay lacked sent as (\d+) updates/.exec(line))
      .find((match) => match !== null)
    expect(Number(split?.[1])).toBeGreaterThan(1024 * 1024)
    expect(Number(split?.[2])).toBeGreaterThan(1)
    console.log(`offline answer: ${split?.[1]} bytes in ${split?.[2]} updates`)
    expect(await clientOf(cam).call('doc.discardRefused', {})).toEqual({ discarded: [] })
    // Nothing was closed over a size, as unintegrable or broken, no item was repaired at the
    // relay (a part that left a title missing), and the link connected once.
    expect(running.logs()).not.toMatch(/1009|too big|too large|4422|4423|never integrate|repaired/i)
    expect(queueConnections(running.logs(), workspaceId, CAM)).toBe(1)

    // A fresh device gets the whole document, over the frame limit, in the relay's one step 2:
    // the limit is on what the relay receives, and a core's socket takes far larger frames.
    const eveDir = tempDir('pv-offline-large-eve-')
    dirs.push(eveDir)
    const eve = await open(eveDir)
    const eveClient = clientOf(eve)
    await eveClient.call('workspace.join', {
      invitation: await running.invite({ workspaceId, name: 'Eve', role: 'champion' }),
    })
    await waitFor(
      'Eve synced',
      async () => (await eveClient.call('status.get', {})).sync === 'synced',
    )
    const eveTitles = new Map(
      (await eveClient.call('queue.list', {})).map((item) => [item.id, item.title]),
    )
    for (const item of made) expect(eveTitles.get(item.id)).toBe(item.title)
    expect(running.logs()).not.toMatch(/dropped slow connection|not reading fast enough/i)
  }, 150_000)
})
