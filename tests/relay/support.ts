import * as decoding from 'lib0/decoding'
import { WebSocket } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import {
  encodeSync,
  MESSAGE_AWARENESS,
  MESSAGE_SYNC,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
} from '../../sync-server/protocol/messages'
import { waitFor } from '../helpers/wait'

/** An HTTP refusal of an upgrade; `problem` is the x-porte-voix-problem header, when sent. */
export type Refusal = { status: number; problem: string | null; body: string }

/** Try a WebSocket upgrade; resolve with the open socket or the HTTP refusal. */
export function tryConnect(url: string): Promise<{ ws: WebSocket } | { refused: Refusal }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on('open', () => resolve({ ws }))
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      const refused = () => ({
        status: res.statusCode ?? 0,
        problem: (res.headers['x-porte-voix-problem'] as string | undefined) ?? null,
        body,
      })
      res.on('end', () => resolve({ refused: refused() }))
      res.on('error', () => resolve({ refused: refused() }))
    })
    ws.on('error', (error) => reject(error))
  })
}

export function roomUrl(base: string, workspaceId: string, doc: string, token: string): string {
  return `${base}/${workspaceId}/${doc}?token=${encodeURIComponent(token)}`
}

/**
 * A minimal non-reconnecting y-websocket client over a raw socket: lets tests craft frames,
 * see exactly what the relay sent, and never hand state back to a restarted relay by accident.
 */
export class RawClient {
  readonly doc = new Y.Doc()
  readonly ws: WebSocket
  /** Sync step 2 frames received, in order (payload only). */
  readonly step2s: Uint8Array[] = []
  updatesReceived = 0
  /**
   * Presence the relay sent, by client id (the last state; entries removed when it says null).
   * The relay is the only sender and keeps order, so clocks need not be compared.
   */
  readonly presence = new Map<number, unknown>()
  /** Awareness frames received (broadcasts and answers to query-awareness alike). */
  awarenessFrames = 0
  closeEvent: { code: number; reason: string } | null = null
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(ws: WebSocket, opts: { sendLocalUpdates: boolean }) {
    this.ws = ws
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeEvent = { code, reason: reason.toString('utf8') }
        resolve(this.closeEvent)
      })
    })
    ws.on('error', () => {})
    ws.on('message', (data: Buffer) => this.#onMessage(new Uint8Array(data)))
    if (opts.sendLocalUpdates) {
      this.doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin !== this && ws.readyState === ws.OPEN) ws.send(encodeSync(SYNC_UPDATE, update))
      })
    }
  }

  static async connect(url: string, opts: { sendLocalUpdates?: boolean } = {}): Promise<RawClient> {
    const result = await tryConnect(url)
    if ('refused' in result)
      throw new Error(`refused: ${result.refused.status} ${result.refused.body}`)
    return new RawClient(result.ws, { sendLocalUpdates: opts.sendLocalUpdates ?? true })
  }

  #onMessage(frame: Uint8Array): void {
    const decoder = decoding.createDecoder(frame)
    const kind = decoding.readVarUint(decoder)
    if (kind === MESSAGE_AWARENESS) {
      this.#onAwareness(decoding.readVarUint8Array(decoder))
      return
    }
    if (kind !== MESSAGE_SYNC) return
    const type = decoding.readVarUint(decoder)
    const payload = decoding.readVarUint8Array(decoder)
    if (type === SYNC_STEP1) {
      this.send(encodeSync(SYNC_STEP2, Y.encodeStateAsUpdate(this.doc, payload)))
    } else if (type === SYNC_STEP2) {
      this.step2s.push(payload)
      Y.applyUpdate(this.doc, payload, this)
    } else if (type === SYNC_UPDATE) {
      this.updatesReceived++
      Y.applyUpdate(this.doc, payload, this)
    }
  }

  #onAwareness(update: Uint8Array): void {
    this.awarenessFrames++
    const decoder = decoding.createDecoder(update)
    for (let count = decoding.readVarUint(decoder); count > 0; count--) {
      const clientId = decoding.readVarUint(decoder)
      decoding.readVarUint(decoder)
      const state: unknown = JSON.parse(decoding.readVarString(decoder))
      if (state === null) this.presence.delete(clientId)
      else this.presence.set(clientId, state)
    }
  }

  send(frame: Uint8Array | string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame)
  }

  /** Send sync step 1 and wait for the answer; everything sent before it has been handled. */
  async sync(): Promise<void> {
    const before = this.step2s.length
    this.send(encodeSync(SYNC_STEP1, Y.encodeStateVector(this.doc)))
    await waitFor('sync step 2', () => this.step2s.length > before || this.closeEvent)
    if (this.closeEvent) throw new Error(`closed while syncing: ${this.closeEvent.code}`)
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close()
    return this.closed
  }
}

/** The real y-websocket 3.x client, as apps use it (BroadcastChannel off: one process, many docs). */
export function provider(
  base: string,
  workspaceId: string,
  doc: 'queue' | 'directory',
  token: string,
  ydoc = new Y.Doc(),
): WebsocketProvider {
  return new WebsocketProvider(base, `${workspaceId}/${doc}`, ydoc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
}

export async function synced(p: WebsocketProvider): Promise<void> {
  await waitFor('provider synced', () => p.synced)
}

/** Count log lines matching a pattern. */
export function countLines(logs: string, pattern: RegExp): number {
  return logs.split('\n').filter((line) => pattern.test(line)).length
}
