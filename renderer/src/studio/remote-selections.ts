import type { Extension } from '@codemirror/state'
import {
  Decoration,
  type DecorationSet,
  type EditorView,
  type PluginValue,
  ViewPlugin,
  type ViewUpdate,
  WidgetType,
} from '@codemirror/view'
import type { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { peerClass, readPeer } from './presence'

/**
 * Other people's cursors and selections in a collaborative editor, from awareness. The awareness
 * `cursor` field has y-codemirror.next's shape ({anchor, head} relative positions), so any
 * y-codemirror client interoperates; unlike its plugin, colours come from CSS classes, because
 * the studio runs under `style-src 'self'` and inline style attributes would be refused.
 */
class RemoteCaret extends WidgetType {
  constructor(
    readonly name: string,
    readonly colorClass: string,
  ) {
    super()
  }

  override eq(other: RemoteCaret): boolean {
    return other.name === this.name && other.colorClass === this.colorClass
  }

  toDOM(): HTMLElement {
    const caret = document.createElement('span')
    caret.className = `cm-ySelectionCaret ${this.colorClass}`
    caret.setAttribute('aria-hidden', 'true')
    const dot = document.createElement('span')
    dot.className = 'cm-ySelectionCaretDot'
    const info = document.createElement('span')
    info.className = 'cm-ySelectionInfo'
    // A name typed by another member: text, never markup.
    info.textContent = this.name
    caret.append('\u2060', dot, '\u2060', info, '\u2060')
    return caret
  }

  override ignoreEvent(): boolean {
    return true
  }
}

type Cursor = { anchor: unknown; head: unknown }

function readCursor(state: unknown): Cursor | null {
  if (typeof state !== 'object' || state === null) return null
  const cursor = (state as { cursor?: unknown }).cursor
  if (typeof cursor !== 'object' || cursor === null) return null
  const { anchor, head } = cursor as { anchor?: unknown; head?: unknown }
  return anchor && head ? { anchor, head } : null
}

function absolute(json: unknown, doc: Y.Doc, text: Y.Text): number | null {
  try {
    const pos = Y.createAbsolutePositionFromRelativePosition(
      Y.createRelativePositionFromJSON(json),
      doc,
    )
    return pos && pos.type === text ? pos.index : null
  } catch {
    return null
  }
}

export function remoteSelections(text: Y.Text, awareness: Awareness): Extension {
  return ViewPlugin.fromClass(
    class implements PluginValue {
      decorations: DecorationSet = Decoration.none
      private readonly onChange: (change: {
        added: number[]
        updated: number[]
        removed: number[]
      }) => void

      constructor(private readonly view: EditorView) {
        this.onChange = ({ added, updated, removed }) => {
          const me = awareness.clientID
          if ([...added, ...updated, ...removed].some((id) => id !== me)) {
            this.decorations = this.build()
            // An empty transaction makes CodeMirror pick up the new decorations.
            view.dispatch({})
          }
        }
        awareness.on('change', this.onChange)
        this.decorations = this.build()
      }

      update(update: ViewUpdate): void {
        this.publishMine(update)
        if (update.docChanged || update.viewportChanged) this.decorations = this.build()
      }

      destroy(): void {
        awareness.off('change', this.onChange)
        this.clearMine()
      }

      /** My cursor, as a position relative to the text so it survives concurrent edits. */
      private publishMine(update: ViewUpdate): void {
        const local = awareness.getLocalState()
        if (local === null) return
        if (!this.view.hasFocus) {
          if (update.focusChanged) this.clearMine()
          return
        }
        const selection = update.state.selection.main
        const anchor = Y.createRelativePositionFromTypeIndex(text, selection.anchor)
        const head = Y.createRelativePositionFromTypeIndex(text, selection.head)
        const current = readCursor(local)
        if (
          current &&
          Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.anchor), anchor) &&
          Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.head), head)
        ) {
          return
        }
        awareness.setLocalStateField('cursor', { anchor, head })
      }

      /** Leaving this editor: drop my cursor if it points into this text. */
      private clearMine(): void {
        const local = awareness.getLocalState()
        const current = readCursor(local)
        const doc = text.doc
        if (!current || !doc) return
        if (absolute(current.anchor, doc, text) !== null)
          awareness.setLocalStateField('cursor', null)
      }

      private build(): DecorationSet {
        const doc = text.doc
        if (!doc) return Decoration.none
        const length = this.view.state.doc.length
        const ranges: { from: number; to: number; deco: Decoration }[] = []
        for (const [clientId, state] of awareness.getStates()) {
          if (clientId === awareness.clientID) continue
          const cursor = readCursor(state)
          const peer = readPeer(state)
          if (!cursor || !peer) continue
          const anchor = absolute(cursor.anchor, doc, text)
          const head = absolute(cursor.head, doc, text)
          if (anchor === null || head === null || anchor > length || head > length) continue
          const colorClass = peerClass(peer.color)
          const from = Math.min(anchor, head)
          const to = Math.max(anchor, head)
          if (from < to) {
            ranges.push({
              from,
              to,
              deco: Decoration.mark({ class: `cm-ySelection ${colorClass}` }),
            })
          }
          ranges.push({
            from: head,
            to: head,
            deco: Decoration.widget({
              widget: new RemoteCaret(peer.name, colorClass),
              side: head - anchor > 0 ? -1 : 1,
            }),
          })
        }
        // `true`: let CodeMirror sort by position and side.
        return Decoration.set(
          ranges.map((range) => range.deco.range(range.from, range.to)),
          true,
        )
      }
    },
    { decorations: (plugin) => plugin.decorations },
  )
}
