/**
 * A progress bar with its figures said to screen readers: the popover's and the studio's
 * campaign progress draw the same one.
 */
export function ProgressBar(props: {
  /** What the bar measures, e.g. "Progress of Autumn hiring". */
  name: string
  /** The figures in words, e.g. "12 of 30 sign-ups". */
  label: string
  value: number
  target: number
  /** value ÷ target, 0 to 1. */
  fraction: number
}) {
  return (
    <div
      className="progress-track"
      role="progressbar"
      aria-label={props.name}
      aria-valuemin={0}
      aria-valuemax={props.target}
      aria-valuenow={Math.min(props.value, props.target)}
      aria-valuetext={props.label}
    >
      <div className="progress-fill" style={{ width: `${Math.round(props.fraction * 100)}%` }} />
    </div>
  )
}
