import type { Described } from '../state/errors'
import { useT } from '../state/store'

/** What a form's last action said: a key rather than a text, so it follows a language switch. */
export type FormOutcome = { ok: boolean; said: Described }

/** The outcome under a form: a status when it went well, an alert when it did not. */
export function FormMessage({ message, testId }: { message: FormOutcome | null; testId: string }) {
  const t = useT()
  if (!message) return null
  return (
    <p
      className={message.ok ? 'success' : 'error'}
      role={message.ok ? 'status' : 'alert'}
      data-testid={testId}
    >
      {t.say(message.said)}
    </p>
  )
}
