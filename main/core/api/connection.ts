import type { EventName, EventPayload } from '../../../common/contract/api'
import type { Transport } from '../../../common/contract/client'
import { ClientMessage, type ServerMessage } from '../../../common/contract/messages'
import type { DocName } from '../../../common/doc/rooms'
import { describeIssues } from '../../../common/model/validation'
import type { Disposable } from '../lifecycle'
import type { CoreContext } from './context'
import { route } from './router'
import { WindowReplicas } from './window-replicas'

/**
 * One window (or test client) attached to the core. Every frame is validated against the
 * contract's ClientMessage; a malformed frame gets an error reply when it carries a request id,
 * and is otherwise logged and dropped: it never takes the core down.
 */
export class Connection implements Disposable {
  readonly replicas: WindowReplicas
  private closed = false

  constructor(
    private readonly transport: Transport,
    private readonly ctx: CoreContext,
    private readonly log: (line: string) => void,
    onClose: (connection: Connection) => void,
  ) {
    this.replicas = new WindowReplicas((message) => this.send(message), log)
    transport.onMessage((text) => {
      this.receive(text).catch((error: unknown) => log(`connection: ${String(error)}`))
    })
    transport.onClose(() => {
      if (this.closed) return
      this.closed = true
      this.replicas.closeAll()
      onClose(this)
    })
  }

  /** The core is closing: stop serving this window (its transport is the host's to close). */
  dispose(): void {
    if (this.closed) return
    this.closed = true
    this.replicas.dispose()
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    this.send({ t: 'event', name, payload })
  }

  /** Forward a stored replica update to the window if it holds that document. */
  onDocUpdate(doc: DocName, update: Uint8Array, origin: unknown): void {
    this.replicas.onUpdate(doc, update, origin)
  }

  private send(message: ServerMessage): void {
    if (this.closed) return
    try {
      this.transport.send(JSON.stringify(message))
    } catch (error) {
      this.log(`connection: send failed: ${String(error)}`)
    }
  }

  private async receive(text: string): Promise<void> {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      this.log('connection: dropped a frame that is not JSON')
      return
    }
    const parsed = ClientMessage.safeParse(json)
    if (!parsed.success) {
      const issues = describeIssues(parsed.error).join('; ')
      const id = requestId(json)
      if (id !== null) {
        this.send({
          t: 'res',
          id,
          ok: false,
          error: { code: 'bad_request', message: `Malformed request: ${issues}` },
        })
      } else {
        this.log(`connection: dropped a malformed frame: ${issues}`)
      }
      return
    }
    const message = parsed.data
    switch (message.t) {
      case 'req':
        this.send(await route(this.ctx, message, this.log))
        this.ctx.answered?.(message.method)
        return
      case 'doc':
        // A window's replica syncs with the core's: deferred replicas load for it first.
        this.ctx.replicasNeeded?.()
        this.replicas.handleDoc(message.doc, message.data)
        return
      case 'awareness':
        this.ctx.replicasNeeded?.()
        this.replicas.handleAwareness(message.doc, message.data)
        return
      case 'doc.close':
        this.replicas.close(message.doc)
        return
    }
  }
}

function requestId(json: unknown): number | null {
  if (typeof json !== 'object' || json === null) return null
  const id = (json as { id?: unknown }).id
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null
}
