import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import type { CoreClient } from '../../common/contract/client'
import { fromBase64, toBase64 } from '../../common/contract/messages'
import type { DocName } from '../../common/doc/rooms'

/**
 * A window-style replica of one of a core's documents, kept in step over the contract's
 * `{t:'doc'}` messages (what the renderer's binding does). Used by tests to read a core's Y.Doc.
 */
export function openReplica(client: CoreClient, name: DocName): { doc: Y.Doc; close(): void } {
  const doc = new Y.Doc()
  const off = client.onDocMessage((message) => {
    if (message.t !== 'doc' || message.doc !== name) return
    const reply = encoding.createEncoder()
    syncProtocol.readSyncMessage(
      decoding.createDecoder(fromBase64(message.data)),
      reply,
      doc,
      'core',
    )
    if (encoding.length(reply) > 0) {
      client.send({ t: 'doc', doc: name, data: toBase64(encoding.toUint8Array(reply)) })
    }
  })
  const ask = encoding.createEncoder()
  syncProtocol.writeSyncStep1(ask, doc)
  client.send({ t: 'doc', doc: name, data: toBase64(encoding.toUint8Array(ask)) })
  return {
    doc,
    close: () => {
      off()
      client.send({ t: 'doc.close', doc: name })
      doc.destroy()
    },
  }
}
