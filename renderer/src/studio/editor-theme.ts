import { EditorView } from '@codemirror/view'
import { PEER_COLORS } from './presence'

/**
 * The editors' look, including other people's carets and selections. It lives in a CodeMirror
 * theme because the editors sit in shadow roots (see CollabEditor), where studio.css does not
 * reach; custom properties (--fg, --accent…) still inherit from the page.
 */
const peers: Record<string, Record<string, string>> = {}
PEER_COLORS.forEach((color, index) => {
  peers[`.pv-peer-${index}`] = { '--peer': color }
})

export const studioEditorTheme = EditorView.theme({
  '&': {
    minHeight: '72px',
    fontSize: '14px',
    lineHeight: '1.5',
    color: 'var(--fg)',
    backgroundColor: 'transparent',
  },
  '&.cm-focused': { outline: 'none' },
  // Room above the first line for a colleague's name label.
  '.cm-scroller': { paddingTop: '6px', fontFamily: 'inherit' },
  '.cm-content': { padding: '8px 10px', caretColor: 'var(--accent)' },
  '.cm-placeholder': { color: 'var(--muted)' },
  '.cm-ySelectionCaret': {
    position: 'relative',
    borderLeft: '2px solid var(--peer)',
    marginLeft: '-1px',
    marginRight: '-1px',
    boxSizing: 'border-box',
    display: 'inline',
  },
  '.cm-ySelectionCaretDot': {
    borderRadius: '50%',
    position: 'absolute',
    width: '.4em',
    height: '.4em',
    top: '-.2em',
    left: '-.2em',
    backgroundColor: 'var(--peer)',
  },
  '.cm-ySelectionInfo': {
    position: 'absolute',
    top: '-1.35em',
    left: '-2px',
    fontSize: '.72em',
    fontFamily: 'system-ui, sans-serif',
    lineHeight: '1.3',
    color: '#fff',
    backgroundColor: 'var(--peer)',
    padding: '0 4px',
    borderRadius: '3px 3px 3px 0',
    whiteSpace: 'nowrap',
    userSelect: 'none',
    zIndex: '10',
    pointerEvents: 'none',
  },
  '.cm-ySelection': { backgroundColor: 'color-mix(in srgb, var(--peer) 22%, transparent)' },
  ...peers,
})
