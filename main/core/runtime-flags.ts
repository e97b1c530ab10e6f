/**
 * V8 flags the core process starts with, in the app (utilityProcess execArgv) and in the dev/test
 * host (node's own arguments); they only take effect at launch, not from inside.
 *
 * --max-semi-space-size=1: V8 grows the young generation to 16 MiB per semi-space (32 MiB resident)
 * under the start-up burst of a large queue and keeps it; the core then idles, so 1 MiB costs a few
 * more minor GCs during a sync and saves ~28 MiB of RSS at rest (BENCHMARKS.md, core memory).
 *
 * --expose-gc: when read-only replicas fall asleep (sync/workspace-sync.ts, sleep), one full GC
 * returns their pages at once; an idle V8 may otherwise not collect the old space for a long time.
 */
export const CORE_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=1', '--expose-gc']
