import type { ReactElement } from 'react'

type Common<V extends string> = {
  /** The values offered, in order; each is its option's value and key. */
  choices: readonly V[]
  /** An option's text; the value itself when omitted. */
  labelOf?: (choice: V) => string
  /** The accessible name, when no enclosing label gives one. */
  label?: string
  testId?: string
}

/** With `none`: a first, empty option that stands for null ("All topics", "No campaign"). */
type NullableProps<V extends string> = Common<V> & {
  none: string
  value: V | null
  onChange: (value: V | null) => void
}
type RequiredProps<V extends string> = Common<V> & {
  none?: undefined
  value: V
  onChange: (value: V) => void
}

/**
 * A select over a list of string values, in both windows: the popover's queue filters and the
 * studio's filters and item fields. With `none`, an empty first option selects null.
 */
export function ChoiceSelect<V extends string>(props: NullableProps<V>): ReactElement
export function ChoiceSelect<V extends string>(props: RequiredProps<V>): ReactElement
export function ChoiceSelect<V extends string>(props: NullableProps<V> | RequiredProps<V>) {
  const { choices, labelOf, label, testId, none } = props
  return (
    <select
      aria-label={label}
      data-testid={testId}
      value={props.value ?? ''}
      onChange={(event) => {
        const value = event.target.value
        if (props.none === undefined) props.onChange(value as V)
        else props.onChange(value ? (value as V) : null)
      }}
    >
      {none === undefined ? null : <option value="">{none}</option>}
      {choices.map((choice) => (
        <option key={choice} value={choice}>
          {labelOf ? labelOf(choice) : choice}
        </option>
      ))}
    </select>
  )
}
