import type { z } from 'zod'

/** A validation failure with a message a person can act on ("title: title is empty"). */
export class ValidationError extends Error {
  readonly issues: string[]
  constructor(what: string, issues: string[]) {
    super(`Invalid ${what}: ${issues.join('; ')}`)
    this.name = 'ValidationError'
    this.issues = issues
  }
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
  )
}

/** Parse untrusted input or throw a ValidationError naming what was wrong and where. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.infer<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw new ValidationError(what, describeIssues(result.error))
  return result.data
}
