import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { CoreClient, webSocketTransport } from '../../common/contract/client'
import { Core } from '../../main/core/core'
import { parseHostArgs } from '../../main/host/args'
import { serveCore } from '../../main/host/server'
import { removeTempDir, tempDir } from '../helpers/process'

/**
 * The dev host binds its port before the core opens (as the app creates its window with the
 * core's process): a window that connects meanwhile has its requests answered, in order, once
 * the core is open — none is lost.
 */
describe('dev host: a window that connects while the core is opening', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) removeTempDir(dir)
  })

  /**
   * The host serving a core that is still opening, on a new data dir, and a window connected to
   * it meanwhile: `opening` settles when the test says.
   */
  async function hostBeforeCore() {
    const dataDir = tempDir('porte-voix-host-early-')
    dirs.push(dataDir)
    let settle: { open(core: Core): void; fail(error: Error): void } = {
      open: () => {},
      fail: () => {},
    }
    const opening = new Promise<Core>((resolve, reject) => {
      settle = { open: resolve, fail: reject }
    })
    const host = await serveCore(
      opening,
      parseHostArgs(['--data-dir', dataDir, '--port', '0'], {}),
      () => {},
    )
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}`)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    return { dataDir, host, socket, settle }
  }

  it('gets answers to the frames it sent before the core was open', async () => {
    const { dataDir, host, socket, settle } = await hostBeforeCore()
    const client = new CoreClient(webSocketTransport(socket))
    // Sent (and received by the host) while there is no core yet.
    const answers = Promise.all([
      client.call('status.get', {}),
      client.call('settings.get', {}),
      client.call('queue.forMe', { limit: 20 }).catch((error: { code?: string }) => error.code),
    ])
    const core = await Core.open({ dataDir })
    settle.open(core)
    const [status, settings, queue] = await answers
    expect(status.session).toBeNull()
    expect(settings).toMatchObject({ language: expect.any(String) })
    expect(queue).toBe('not_joined')
    socket.close()
    await host.close()
    await core.close()
  })

  it('closes the window when the core cannot open', async () => {
    const { host, socket, settle } = await hostBeforeCore()
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
    settle.fail(new Error('locked'))
    expect(await closed).toBe(1011)
    await host.close()
  })
})
