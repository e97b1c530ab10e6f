import { z } from 'zod'

/**
 * Bidirectional embedding, override and isolate controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI,
 * PDI). An override (U+202E) reverses how the text after it is drawn, so "moc.elpmaxe//:sptth" can
 * be made to read like a trustworthy link or a title can hide what it says. Right-to-left languages
 * do not need them (the Unicode algorithm orders Arabic or Hebrew by itself, and windows render
 * these texts with dir="auto"), so they are removed from every text an item or a proposal carries.
 * The marks U+200E/U+200F/U+061C stay: they cannot reorder anything beyond themselves.
 */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g

export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '')
}

/** A string schema that drops bidi controls before any other check (trim, min, max). */
export function plainText(): z.ZodString {
  return z.string().overwrite(stripBidiControls)
}
