/**
 * Entry point of the core as an Electron utility process. Deliberately typed against minimal
 * local interfaces (no `electron` import): the core must stay a plain Node program.
 */
import { type NodeStylePort, nodePortTransport } from '../../common/contract/client'
import { Core } from './core'
import { type ChildMessage, ParentMessage } from './process-protocol'
import { RequestOpener } from './shares/opener'

interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown; ports: NodeStylePort[] }) => void): void
  postMessage(message: unknown): void
}

const parentPort = (process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort
if (!parentPort) {
  process.stderr.write('process-entry: not running as a utility process (no parentPort)\n')
  process.exit(2)
}

const log = (line: string) => process.stderr.write(`[core] ${line}\n`)
const reply = (message: ChildMessage) => parentPort.postMessage(message)

let core: Core | null = null
let opening: Promise<Core> | null = null
// Only main can reach the desktop: it opens the URL and says whether it could.
const opener = new RequestOpener(({ id, url }) => reply({ type: 'open-external', id, url }))

parentPort.on('message', ({ data, ports }) => {
  const parsed = ParentMessage.safeParse(data)
  if (!parsed.success) {
    log('process-entry: ignored a malformed message from main')
    return
  }
  const message = parsed.data
  switch (message.type) {
    case 'open':
      opening ??= Core.open({
        dataDir: message.dataDir,
        log,
        opener,
        ...(message.systemLanguages ? { systemLanguages: message.systemLanguages } : {}),
        // The popover's first screen is answered from SQLite before the replicas load.
        deferReplicas: true,
      })
      opening.then(
        (opened) => {
          core = opened
          reply({ type: 'ready' })
          // A stored document that cannot be read fails the start, only later than open().
          opened.replicas.catch((error: unknown) =>
            reply({ type: 'error', message: String(error) }),
          )
        },
        (error: unknown) => reply({ type: 'error', message: String(error) }),
      )
      return
    case 'attach': {
      const port = ports[0]
      if (!port) return
      // Ports attached before the core is open wait for it.
      void (opening ?? Promise.reject(new Error('attach before open'))).then(
        (opened) => {
          opened.attach(nodePortTransport(port))
          port.start()
        },
        (error: unknown) => reply({ type: 'error', message: String(error) }),
      )
      return
    }
    case 'opened':
      opener.settle(message.id, message.error)
      return
    case 'close':
      void (async () => {
        await core?.close()
        reply({ type: 'closed' })
        process.exit(0)
      })()
      return
  }
})
