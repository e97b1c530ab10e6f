import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    // One temp root per run, deleted at the end; the run fails if tests leave anything outside it.
    globalSetup: ['tests/global-setup.ts'],
    // Integration tests start relays and cores as child processes; two cores here, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    // Feed and image fixtures are served on 127.0.0.1, which the core refuses to reach unless an
    // admin allows it (main/core/net/address-policy.ts); the tests are that admin. Tests of the
    // refusal pass the strict policy explicitly, or clear this in their child's environment.
    env: { PORTE_VOIX_ALLOW_INTERNAL_HOSTS: '127.0.0.1' },
    hookTimeout: 60_000,
  },
})
