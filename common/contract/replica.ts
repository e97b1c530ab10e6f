import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import type { DocName } from '../doc/rooms'
import type { CoreClient } from './client'
import { fromBase64, toBase64 } from './messages'

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] }

/**
 * A window's own replica of one of the core's documents, kept in step through the contract with
 * y-protocols sync messages, plus presence (cursors, names) through awareness. Editing binds to
 * `doc`; the core stores every update in SQLite and forwards it to the relay.
 */
export class WindowReplica {
  readonly doc = new Y.Doc()
  readonly awareness = new Awareness(this.doc)
  private synced = false
  private readonly syncedWaiters: (() => void)[] = []
  private readonly unsubscribe: () => void
  private readonly onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === this) return
    const encoder = encoding.createEncoder()
    syncProtocol.writeUpdate(encoder, update)
    this.sendDoc(encoding.toUint8Array(encoder))
  }
  private readonly onAwareness = (
    { added, updated, removed }: AwarenessChange,
    origin: unknown,
  ) => {
    if (origin === this) return
    const changed = [...added, ...updated, ...removed]
    this.client.send({
      t: 'awareness',
      doc: this.name,
      data: toBase64(encodeAwarenessUpdate(this.awareness, changed)),
    })
  }

  constructor(
    private readonly client: CoreClient,
    readonly name: DocName,
  ) {
    this.unsubscribe = client.onDocMessage((message) => {
      if (message.doc !== this.name) return
      if (message.t === 'awareness') {
        applyAwarenessUpdate(this.awareness, fromBase64(message.data), this)
        return
      }
      this.receive(fromBase64(message.data))
    })
    this.doc.on('update', this.onUpdate)
    this.awareness.on('update', this.onAwareness)
    const encoder = encoding.createEncoder()
    syncProtocol.writeSyncStep1(encoder, this.doc)
    this.sendDoc(encoding.toUint8Array(encoder))
  }

  /** Resolves once the core has sent its state (step 2). */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve()
    return new Promise((resolve) => this.syncedWaiters.push(resolve))
  }

  destroy(): void {
    removeAwarenessStates(this.awareness, [this.doc.clientID], 'window closed')
    this.unsubscribe()
    this.doc.off('update', this.onUpdate)
    this.awareness.off('update', this.onAwareness)
    this.client.send({ t: 'doc.close', doc: this.name })
    this.awareness.destroy()
    this.doc.destroy()
  }

  private receive(bytes: Uint8Array): void {
    const decoder = decoding.createDecoder(bytes)
    const reply = encoding.createEncoder()
    const type = syncProtocol.readSyncMessage(decoder, reply, this.doc, this)
    if (encoding.length(reply) > 0) this.sendDoc(encoding.toUint8Array(reply))
    if (type === syncProtocol.messageYjsSyncStep2 && !this.synced) {
      this.synced = true
      for (const resolve of this.syncedWaiters.splice(0)) resolve()
    }
  }

  private sendDoc(bytes: Uint8Array): void {
    this.client.send({ t: 'doc', doc: this.name, data: toBase64(bytes) })
  }
}
