import {
  type EventName,
  type EventPayload,
  events,
  type MethodName,
  methods,
  type Params,
  type Result,
} from './api'
import { type ClientMessage, ContractError, ServerMessage } from './messages'

/** Anything that carries JSON text both ways: a WebSocket, an Electron MessagePort, … */
export interface Transport {
  send(text: string): void
  onMessage(listener: (text: string) => void): void
  onClose(listener: (reason: string) => void): void
}

type Pending = {
  method: MethodName
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

type DocListener = (message: Extract<ServerMessage, { t: 'doc' | 'awareness' }>) => void

/** The typed client side of the contract, used by windows and by tests alike. */
export class CoreClient {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>()
  private readonly docListeners = new Set<DocListener>()
  private closedReason: string | null = null

  constructor(private readonly transport: Transport) {
    transport.onMessage((text) => this.receive(text))
    transport.onClose((reason) => {
      this.closedReason = reason
      for (const pending of this.pending.values()) {
        pending.reject(new ContractError('unavailable', `Connection to the core closed: ${reason}`))
      }
      this.pending.clear()
    })
  }

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    if (this.closedReason !== null) {
      return Promise.reject(
        new ContractError('unavailable', `Core connection closed: ${this.closedReason}`),
      )
    }
    const checked = methods[method].params.safeParse(params)
    if (!checked.success) {
      return Promise.reject(
        new ContractError(
          'bad_request',
          `${method}: ${checked.error.issues[0]?.message ?? 'bad params'}`,
        ),
      )
    }
    const id = this.nextId++
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject })
      this.send({ t: 'req', id, method, params })
    })
  }

  /**
   * A request sent on the transport before this client existed (the popover's first module sends
   * the first screen's before the app is loaded): its answer is validated and delivered as
   * `call`'s would be. Adopt before the transport delivers anything; later ids follow it.
   */
  adopt<M extends MethodName>(id: number, method: M): Promise<Result<M>> {
    if (id >= this.nextId) this.nextId = id + 1
    if (this.closedReason !== null) {
      return Promise.reject(
        new ContractError('unavailable', `Core connection closed: ${this.closedReason}`),
      )
    }
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject })
    })
  }

  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(name)
    if (!set) {
      set = new Set()
      this.listeners.set(name, set)
    }
    const wrapped = listener as (payload: unknown) => void
    set.add(wrapped)
    return () => set.delete(wrapped)
  }

  /** Yjs traffic for window-held replicas (see renderer's replica binding). */
  onDocMessage(listener: DocListener): () => void {
    this.docListeners.add(listener)
    return () => this.docListeners.delete(listener)
  }

  send(message: ClientMessage): void {
    this.transport.send(JSON.stringify(message))
  }

  private receive(text: string): void {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return
    }
    const parsed = ServerMessage.safeParse(json)
    if (!parsed.success) return
    const message = parsed.data
    switch (message.t) {
      case 'res': {
        const pending = this.pending.get(message.id)
        if (!pending) return
        this.pending.delete(message.id)
        if (!message.ok) {
          const { code, message: text, problem } = message.error
          pending.reject(new ContractError(code, text, problem))
          return
        }
        const result = methods[pending.method].result.safeParse(message.result)
        if (result.success) pending.resolve(result.data)
        else
          pending.reject(
            new ContractError('internal', `${pending.method}: malformed result from core`),
          )
        return
      }
      case 'event': {
        // Own names only: `toString` or `constructor` from a confused peer is no event.
        if (!Object.hasOwn(events, message.name)) return
        const schema = events[message.name as EventName]
        const payload = schema.safeParse(message.payload)
        if (!payload.success) return
        for (const listener of this.listeners.get(message.name) ?? []) listener(payload.data)
        return
      }
      case 'doc':
      case 'awareness':
        for (const listener of this.docListeners) listener(message)
        return
    }
  }
}

/** A Transport over a browser or `ws` WebSocket that is already open. */
export function webSocketTransport(socket: {
  send(data: string): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
}): Transport {
  return {
    send: (text) => socket.send(text),
    onMessage: (listener) =>
      socket.addEventListener('message', (event) => {
        if (typeof event.data === 'string') listener(event.data)
        else if (event.data instanceof ArrayBuffer || ArrayBuffer.isView(event.data)) {
          listener(new TextDecoder().decode(event.data as ArrayBuffer))
        } else listener(String(event.data))
      }),
    onClose: (listener) =>
      socket.addEventListener('close', (event) => listener(`${event.code} ${event.reason}`.trim())),
  }
}

export { type NodeStylePort, nodePortTransport } from './port-transport'
