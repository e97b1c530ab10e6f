import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import {
  type Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { fromBase64, type ServerMessage, toBase64 } from '../../../common/contract/messages'
import { problem } from '../../../common/contract/problems'
import { MAX_CHANGE_BYTES } from '../../../common/doc/limits'
import type { DocName } from '../../../common/doc/rooms'
import type { Disposable } from '../lifecycle'
import type { WorkspaceSync } from '../sync/workspace-sync'

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] }
type Subscription = {
  awareness: Awareness
  listener: (change: AwarenessChange, origin: unknown) => void
  clients: Set<number>
  /** Keeps the core's replica in memory while the window follows it (WorkspaceSync.pin). */
  pin: Disposable
}

/**
 * Serves one window's replicas of the core's documents. `{t:'doc'}` payloads are y-protocols
 * sync messages (step 1, step 2, update: the bytes `writeSyncStep1` & co. produce, without
 * y-websocket's outer message type); `{t:'awareness'}` payloads are awareness updates
 * (`encodeAwarenessUpdate`), relayed to and from the relay provider's awareness.
 * A window gets exactly the rights of the member: updates to a document it may only read are
 * dropped here, as the relay would drop them.
 */
export class WindowReplicas implements Disposable {
  private readonly subscriptions = new Map<DocName, Subscription>()
  private sync: WorkspaceSync | null = null
  private readonly warned = new Set<DocName>()

  constructor(
    private readonly send: (message: ServerMessage) => void,
    private readonly log: (line: string) => void,
  ) {}

  /** The workspace changed (join, leave): forget every replica; windows start over. */
  use(sync: WorkspaceSync | null): void {
    if (sync === this.sync) return
    this.closeAll()
    this.sync = sync
  }

  handleDoc(doc: DocName, data: string): void {
    const sync = this.sync
    if (!sync) return
    this.subscribe(sync, doc)
    const ydoc = sync.docs[doc]
    try {
      const decoder = decoding.createDecoder(fromBase64(data))
      const type = decoding.readVarUint(decoder)
      switch (type) {
        case syncProtocol.messageYjsSyncStep1: {
          const reply = encoding.createEncoder()
          syncProtocol.readSyncStep1(decoder, reply, ydoc)
          this.sendDoc(doc, encoding.toUint8Array(reply))
          // Ask for what the window has and we lack (offline edits made in the window).
          if (sync.access(doc) === 'write') {
            const ask = encoding.createEncoder()
            syncProtocol.writeSyncStep1(ask, ydoc)
            this.sendDoc(doc, encoding.toUint8Array(ask))
          }
          return
        }
        case syncProtocol.messageYjsSyncStep2:
        case syncProtocol.messageYjsUpdate: {
          const update = decoding.readVarUint8Array(decoder)
          if (sync.access(doc) !== 'write') {
            if (!this.warned.has(doc)) {
              this.warned.add(doc)
              this.log(`window: dropped updates to read-only document "${doc}"`)
            }
            return
          }
          if (update.byteLength > MAX_CHANGE_BYTES) {
            // The relay would refuse it (and a core resending it would loop): it never enters
            // the replica, and the window is told so it can undo it and say why.
            this.log(`window: refused a ${update.byteLength}-byte change to "${doc}"`)
            this.send({
              t: 'event',
              name: 'doc.refused',
              payload: {
                doc,
                problem: problem('changeTooLarge', {
                  bytes: update.byteLength,
                  limit: MAX_CHANGE_BYTES,
                }),
              },
            })
            return
          }
          const fault = sync.storageFault()
          if (fault) {
            // Not stored, so not made: the window starts over from the core's state and says why.
            this.log(`window: refused a change to "${doc}": ${fault.message}`)
            this.send({
              t: 'event',
              name: 'doc.refused',
              payload: { doc, problem: problem(fault.problem) },
            })
            return
          }
          Y.applyUpdate(ydoc, update, this)
          return
        }
        default:
          this.log(`window: unknown sync message type ${type} for "${doc}"`)
      }
    } catch (error) {
      this.log(`window: unreadable sync message for "${doc}": ${String(error)}`)
    }
  }

  handleAwareness(doc: DocName, data: string): void {
    const sync = this.sync
    if (!sync) return
    const subscription = this.subscribe(sync, doc)
    try {
      applyAwarenessUpdate(subscription.awareness, fromBase64(data), this)
    } catch (error) {
      this.log(`window: unreadable awareness update for "${doc}": ${String(error)}`)
    }
  }

  /** Forward an update of the core's replica to this window (unless it came from it). */
  onUpdate(doc: DocName, update: Uint8Array, origin: unknown): void {
    if (origin === this || !this.subscriptions.has(doc)) return
    const encoder = encoding.createEncoder()
    syncProtocol.writeUpdate(encoder, update)
    this.sendDoc(doc, encoding.toUint8Array(encoder))
  }

  close(doc: DocName): void {
    const subscription = this.subscriptions.get(doc)
    if (!subscription) return
    subscription.awareness.off('update', subscription.listener)
    void subscription.pin.dispose()
    // The window's presence leaves with it.
    const gone = [...subscription.clients].filter((id) => subscription.awareness.states.has(id))
    if (gone.length > 0) removeAwarenessStates(subscription.awareness, gone, 'window closed')
    this.subscriptions.delete(doc)
  }

  closeAll(): void {
    for (const doc of [...this.subscriptions.keys()]) this.close(doc)
  }

  /** Let go of every awareness listener and of the sync. */
  dispose(): void {
    this.use(null)
  }

  private subscribe(sync: WorkspaceSync, doc: DocName): Subscription {
    const existing = this.subscriptions.get(doc)
    if (existing) return existing
    const awareness = sync.awareness[doc]
    const clients = new Set<number>()
    const listener = ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
      const changed = [...added, ...updated, ...removed]
      if (origin === this) {
        for (const id of [...added, ...updated]) clients.add(id)
        for (const id of removed) clients.delete(id)
        return
      }
      this.sendAwareness(doc, encodeAwarenessUpdate(awareness, changed))
    }
    awareness.on('update', listener)
    const subscription = { awareness, listener, clients, pin: sync.pin(doc) }
    this.subscriptions.set(doc, subscription)
    const present = [...awareness.getStates().keys()]
    if (present.length > 0) this.sendAwareness(doc, encodeAwarenessUpdate(awareness, present))
    return subscription
  }

  private sendDoc(doc: DocName, bytes: Uint8Array): void {
    this.send({ t: 'doc', doc, data: toBase64(bytes) })
  }

  private sendAwareness(doc: DocName, bytes: Uint8Array): void {
    this.send({ t: 'awareness', doc, data: toBase64(bytes) })
  }
}
