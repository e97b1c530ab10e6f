import { type ReactNode, useEffect, useState } from 'react'

/**
 * A text input that commits on blur or Enter, and follows the item when someone else changes the
 * value while I am not editing it.
 */
export function CommitInput({
  value,
  onCommit,
  label,
  type = 'text',
  testId,
  placeholder,
}: {
  value: string
  onCommit: (next: string) => void
  label: string
  type?: 'text' | 'url' | 'number' | 'datetime-local'
  testId?: string
  placeholder?: string
}) {
  const [draft, setDraft] = useState(value)
  const [editing, setEditing] = useState(false)
  useEffect(() => {
    if (!editing) setDraft(value)
  }, [value, editing])
  const commit = () => {
    setEditing(false)
    if (draft !== value) onCommit(draft)
  }
  return (
    <input
      aria-label={label}
      type={type}
      value={draft}
      placeholder={placeholder}
      data-testid={testId}
      onFocus={() => setEditing(true)}
      onChange={(event) => setDraft(event.target.value)}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') (event.target as HTMLInputElement).blur()
        if (event.key === 'Escape') {
          setDraft(value)
          setEditing(false)
        }
      }}
    />
  )
}

export function Field({
  label,
  children,
  wide,
}: {
  label: string
  children: ReactNode
  wide?: boolean
}) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the child
    <label className={wide ? 'field field-wide' : 'field'}>
      <span className="field-label">{label}</span>
      {children}
    </label>
  )
}

/** ISO timestamp → the value of a datetime-local input, in local time. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(
    date.getHours(),
  )}:${pad(date.getMinutes())}`
}

/** A datetime-local value (local time) → ISO, or null when empty or unreadable. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

export function formatDate(iso: string | null, language: string): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  return date.toLocaleString(language, { dateStyle: 'medium', timeStyle: 'short' })
}
