import { z } from 'zod'

/**
 * Imported first by main.tsx, before any schema is built: zod probes `new Function` when a schema
 * is constructed, and under the windows' CSP (script-src 'self') that probe is logged as a
 * violation (zod then falls back to the interpreter anyway). Jitless skips the probe.
 */
z.config({ jitless: true })
