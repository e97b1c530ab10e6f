import { defaultKeymap } from '@codemirror/commands'
import { Compartment, EditorState, type Extension } from '@codemirror/state'
import { EditorView, keymap, placeholder as placeholderExtension } from '@codemirror/view'
import { useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { yCollab, ySyncAnnotation, yUndoManagerKeymap } from 'y-codemirror.next'
import type { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { studioEditorTheme } from './editor-theme'
import { remoteSelections as remoteSelectionsFor } from './remote-selections'
import { useST } from './store'

type Props = {
  text: Y.Text
  awareness: Awareness
  label: string
  placeholder?: string
  /** A stable id for tests and for the preview next to it. */
  testId: string
  /**
   * The most characters (UTF-16 units, as the schemas count) the text may hold: a keystroke or
   * paste that would cross it is refused before it is made, with the reason under the editor.
   */
  maxLength?: number
}

/**
 * A CodeMirror 6 editor bound to one Y.Text of the window's replica: every keystroke is a Yjs
 * update (stored by the core, relayed to the other champions), remote edits merge in place, and
 * undo/redo only touch my own changes (the UndoManager tracks the binding's local origin only).
 */
export function CollabEditor({ text, awareness, label, placeholder, testId, maxLength }: Props) {
  const t = useST()
  const [refused, setRefused] = useState<{ length: number; limit: number } | null>(null)
  const limit = useRef(maxLength)
  limit.current = maxLength
  const host = useRef<HTMLDivElement>(null)
  const undoRef = useRef<Y.UndoManager | null>(null)
  const viewRef = useRef<EditorView | null>(null)
  // Label, placeholder and test id may change while someone types (a variant's position moves
  // when a colleague adds or removes one above it): they live in a compartment, reconfigured in
  // place, so the editor (focus, caret, undo history) survives. Only a new text rebuilds it.
  const labels = useRef(new Compartment())
  const attributes = useRef<Extension>([])
  attributes.current = labelExtensions(label, placeholder, testId)

  useEffect(() => {
    const element = host.current
    if (!element) return
    // Inside a shadow root CodeMirror's styles go to a constructable stylesheet; on the document
    // they would be an inline <style>, which the page's CSP (style-src 'self') refuses.
    const root = element.shadowRoot ?? element.attachShadow({ mode: 'open' })
    const parent = document.createElement('div')
    root.append(parent)
    const undoManager = new Y.UndoManager(text)
    undoRef.current = undoManager
    const view = new EditorView({
      parent,
      root,
      state: EditorState.create({
        doc: text.toString(),
        extensions: [
          keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
          EditorView.lineWrapping,
          studioEditorTheme,
          labels.current.of(attributes.current),
          // Before yCollab sees it: a refused change never reaches the Y.Text, so nothing is sent.
          EditorState.transactionFilter.of((tr) => {
            const max = limit.current
            // Colleagues' edits (applied by the binding) are never refused: the texts must agree.
            if (max === undefined || !tr.docChanged || tr.annotation(ySyncAnnotation)) return tr
            const length = tr.newDoc.length
            if (length <= max || length <= tr.startState.doc.length) {
              if (tr.isUserEvent('input') || tr.isUserEvent('delete')) setRefused(null)
              return tr
            }
            setRefused({ length, limit: max })
            return []
          }),
          // Presence is drawn by remoteSelections (CSP-safe), so yCollab gets no awareness.
          yCollab(text, null, { undoManager }),
          remoteSelectionsFor(text, awareness),
        ],
      }),
    })
    viewRef.current = view
    return () => {
      viewRef.current = null
      view.destroy()
      parent.remove()
      undoManager.destroy()
      undoRef.current = null
    }
  }, [text, awareness])

  useEffect(() => {
    viewRef.current?.dispatch({
      effects: labels.current.reconfigure(labelExtensions(label, placeholder, testId)),
    })
  }, [label, placeholder, testId])

  return (
    <div className="collab-wrap">
      <div className="collab">
        <div className="collab-editor" ref={host} />
        <div className="collab-tools">
          <button
            type="button"
            className="icon-button"
            title={t('item.undo')}
            aria-label={t('item.undo')}
            onClick={() => undoRef.current?.undo()}
          >
            ↶
          </button>
          <button
            type="button"
            className="icon-button"
            title={t('item.redo')}
            aria-label={t('item.redo')}
            onClick={() => undoRef.current?.redo()}
          >
            ↷
          </button>
        </div>
      </div>
      {refused ? (
        <p className="limit-note" role="alert" data-testid={`${testId}-refused`}>
          {t('limit.refused', refused)}
        </p>
      ) : null}
    </div>
  )
}

function labelExtensions(
  label: string,
  placeholder: string | undefined,
  testId: string,
): Extension {
  return [
    EditorView.contentAttributes.of({ 'aria-label': label, 'data-testid': testId }),
    placeholder ? placeholderExtension(placeholder) : [],
  ]
}

/** The current string of a Y.Text, re-rendering on every change (for previews and counters). */
export function useYText(text: Y.Text | null): string {
  return useSyncExternalStore(
    (onChange) => {
      if (!text) return () => {}
      text.observe(onChange)
      return () => text.unobserve(onChange)
    },
    () => (text ? text.toString() : ''),
  )
}
