import { type ReactNode, useEffect, useState } from 'react'
import type { Campaign } from '../../../common/model/campaign'
import { ChoiceSelect } from '../components/ChoiceSelect'
import { useST } from './store'

/**
 * What a commit answers: `false` (or a promise of it) when the change was refused; the field then
 * keeps what was typed and says it was not saved. Anything else counts as done.
 */
export type CommitResult = boolean | undefined | Promise<boolean | undefined>

type Mode = 'idle' | 'editing' | 'saving' | 'failed'

/**
 * A text input that commits on blur or Enter, and follows the item when someone else changes the
 * value while I am not editing it. A refused commit (e.g. an invalid link) keeps my draft, marked
 * as not saved, until I fix it or press Escape.
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
  onCommit: (next: string) => CommitResult
  label: string
  type?: 'text' | 'url' | 'number' | 'datetime-local'
  testId?: string
  placeholder?: string
}) {
  const t = useST()
  const [draft, setDraft] = useState(value)
  const [mode, setMode] = useState<Mode>('idle')
  useEffect(() => {
    if (mode === 'idle') setDraft(value)
  }, [value, mode])
  const commit = async () => {
    if (draft === value) {
      setMode('idle')
      return
    }
    setMode('saving')
    let ok = true
    try {
      ok = (await onCommit(draft)) !== false
    } catch {
      ok = false
    }
    setMode(ok ? 'idle' : 'failed')
  }
  const failed = mode === 'failed'
  return (
    <>
      <input
        aria-label={label}
        aria-invalid={failed || undefined}
        type={type}
        value={draft}
        placeholder={placeholder}
        data-testid={testId}
        className={failed ? 'invalid' : undefined}
        onFocus={() => setMode((current) => (current === 'failed' ? current : 'editing'))}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={() => void commit()}
        onKeyDown={(event) => {
          if (event.key === 'Enter') (event.target as HTMLInputElement).blur()
          if (event.key === 'Escape') {
            setDraft(value)
            setMode('idle')
          }
        }}
      />
      {failed ? (
        <span className="field-error" role="alert" data-testid="field-error">
          {t('field.notSaved')}
        </span>
      ) : null}
    </>
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

/** A labelled field holding a CommitInput named by the same label. */
export function CommitField({
  wide,
  ...input
}: Parameters<typeof CommitInput>[0] & { wide?: boolean }) {
  return (
    <Field label={input.label} wide={wide}>
      <CommitInput {...input} />
    </Field>
  )
}

/** A labelled date and time (ISO, or null when empty), edited in local time. */
export function DateTimeField({
  label,
  value,
  onCommit,
}: {
  label: string
  value: string | null
  onCommit: (iso: string | null) => CommitResult
}) {
  return (
    <CommitField
      label={label}
      type="datetime-local"
      value={toLocalInput(value)}
      onCommit={(next) => onCommit(fromLocalInput(next))}
    />
  )
}

/** The campaigns by name, after an empty option (`none`) that stands for no campaign. */
export function CampaignSelect({
  campaigns,
  none,
  label,
  value,
  onChange,
}: {
  campaigns: readonly Campaign[]
  none: string
  label?: string
  value: string | null
  onChange: (campaignId: string | null) => void
}) {
  return (
    <ChoiceSelect
      label={label}
      none={none}
      choices={campaigns.map((campaign) => campaign.id)}
      labelOf={(id) => campaigns.find((campaign) => campaign.id === id)?.name ?? id}
      value={value}
      onChange={onChange}
    />
  )
}

/** A form's submit and cancel buttons. */
export function FormButtons({
  submit,
  cancel,
  onCancel,
}: {
  submit: string
  cancel: string
  onCancel: () => void
}) {
  return (
    <div className="row">
      <button type="submit" className="button button-primary">
        {submit}
      </button>
      <button type="button" className="button button-quiet" onClick={onCancel}>
        {cancel}
      </button>
    </div>
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

/** A date and time as every window writes it (24-hour in French): see common/format. */
export { formatDateTime as formatDate } from '../../../common/format/dates'
