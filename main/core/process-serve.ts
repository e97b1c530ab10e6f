/**
 * The core's utility process once its entry (process-entry.ts) has enabled the compile cache:
 * main's messages served — open, attach windows' ports, open-external answers, close.
 */
import type { NodeStylePort } from '../../common/contract/client'
import { nodePortTransport } from '../../common/contract/port-transport'
import { flushCompileCache } from './compile-cache'
import { type ChildMessage, ParentMessage } from './process-protocol'
import { RequestOpener } from './shares/opener'
import { type CoreStart, startCore } from './start'

export type ParentPortLike = {
  on(event: 'message', listener: (event: ParentEvent) => void): void
  postMessage(message: unknown): void
}
export type ParentEvent = { data: unknown; ports: NodeStylePort[] }

/** What to do with each message from main, in the order they came. */
export function serveParent(
  parentPort: ParentPortLike,
  log: (line: string) => void,
): (event: ParentEvent) => void {
  const reply = (message: ChildMessage) => parentPort.postMessage(message)
  let start: CoreStart | null = null
  let failedToStart: string | null = null
  // Only main can reach the desktop: it opens the URL and says whether it could.
  const opener = new RequestOpener(({ id, url }) => reply({ type: 'open-external', id, url }))

  return ({ data, ports }) => {
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
            // The core's whole module is compiled now: kept for the next start.
            flushCompileCache()
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
  }
}
