/**
 * Entry point of the core as an Electron utility process. Deliberately typed against minimal
 * local interfaces (no `electron` import): the core must stay a plain Node program.
 */
import { type NodeStylePort, nodePortTransport } from '../../common/contract/client'
import { type ChildMessage, ParentMessage } from './process-protocol'
import { RequestOpener } from './shares/opener'
import { type CoreStart, startCore } from './start'

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

let start: CoreStart | null = null
let failedToStart: string | null = null
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
    case 'open': {
      if (start || failedToStart) return
      try {
        // SQLite opens now and windows' first screens are answered from it; the core's module
        // loads after them (start.ts).
        start = startCore({
          dataDir: message.dataDir,
          log,
          opener,
          ...(message.systemLanguages ? { systemLanguages: message.systemLanguages } : {}),
        })
      } catch (error) {
        failedToStart = String(error)
        reply({ type: 'error', message: failedToStart })
        return
      }
      start.core.then(
        (opened) => {
          reply({ type: 'ready' })
          // A stored document that cannot be read fails the start, only later than open().
          opened.replicas.catch((error: unknown) =>
            reply({ type: 'error', message: String(error) }),
          )
        },
        (error: unknown) => reply({ type: 'error', message: String(error) }),
      )
      return
    }
    case 'attach': {
      const port = ports[0]
      if (!port) return
      if (!start) {
        reply({ type: 'error', message: failedToStart ?? 'attach before open' })
        return
      }
      start.attach(nodePortTransport(port))
      port.start()
      return
    }
    case 'opened':
      opener.settle(message.id, message.error)
      return
    case 'close':
      void (async () => {
        await start?.close()
        reply({ type: 'closed' })
        process.exit(0)
      })()
      return
  }
})
