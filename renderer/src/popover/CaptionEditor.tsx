import { useRef } from 'react'
import { captionSegments } from '../state/logic'

/**
 * A textarea with its `{{…}}` placeholders highlighted. The highlight is a backdrop of React
 * text nodes and <mark> elements behind a transparent textarea (never HTML built from the text),
 * kept scrolled with it.
 */
export function CaptionEditor({
  value,
  onChange,
  label,
  describedBy,
}: {
  value: string
  onChange(text: string): void
  label: string
  describedBy?: string
}) {
  const backdrop = useRef<HTMLDivElement>(null)
  const input = useRef<HTMLTextAreaElement>(null)
  const segments = captionSegments(value)
  const syncScroll = () => {
    if (backdrop.current && input.current) backdrop.current.scrollTop = input.current.scrollTop
  }
  return (
    <div className="caption-editor">
      <div className="caption-backdrop" ref={backdrop} aria-hidden="true">
        {segments.map((segment, index) =>
          segment.placeholder ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity but their order.
            <mark key={index}>{segment.text}</mark>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: as above.
            <span key={index}>{segment.text}</span>
          ),
        )}
        {/* A trailing newline in a textarea shows an empty line; the backdrop needs one too. */}
        {'\n'}
      </div>
      <textarea
        ref={input}
        className="caption-input"
        data-testid="caption"
        aria-label={label}
        aria-describedby={describedBy}
        value={value}
        spellCheck
        onChange={(event) => onChange(event.target.value)}
        onScroll={syncScroll}
      />
    </div>
  )
}

/** Select a placeholder in the textarea so typing replaces it. */
export function selectInCaption(start: number, end: number): void {
  const input = document.querySelector<HTMLTextAreaElement>('.caption-input')
  if (!input) return
  input.focus()
  input.setSelectionRange(start, end)
}
