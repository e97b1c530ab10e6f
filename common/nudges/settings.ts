import { z } from 'zod'
import { Network } from '../model/networks'

/** When nudges may come, beyond quiet hours and pause (which live in Settings already). */
export const NudgeSettings = z.object({
  /** Days nudges may come on, 0 = Monday … 6 = Sunday. */
  workingDays: z
    .array(z.number().int().min(0).max(6))
    .max(7)
    .refine((days) => new Set(days).size === days.length, 'lists a day twice'),
  /** Nudges per network and local day at most (0: never for that network). */
  caps: z.partialRecord(Network, z.number().int().min(0).max(10)),
  /** Minimum time between two nudges, whatever the network. */
  minGapMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60),
})
export type NudgeSettings = z.infer<typeof NudgeSettings>

/** The defaults of the issue: LinkedIn about once a day, X tolerates frequency, others once. */
export const DEFAULT_NUDGE_SETTINGS: NudgeSettings = {
  workingDays: [0, 1, 2, 3, 4],
  caps: { linkedin: 1, x: 3 },
  minGapMinutes: 120,
}

/** A network's daily cap with the defaults filled in. */
export function capOf(settings: NudgeSettings, network: Network): number {
  return settings.caps[network] ?? DEFAULT_NUDGE_SETTINGS.caps[network] ?? 1
}

export const SNOOZE_KINDS = ['hour', 'evening', 'tomorrow'] as const
export const SnoozeKind = z.enum(SNOOZE_KINDS)
export type SnoozeKind = z.infer<typeof SnoozeKind>
