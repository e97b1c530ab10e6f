import { defineConfig } from 'vitest/config'

/** Options both projects share (projects do not inherit the root's test options). */
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Feed and image fixtures are served on 127.0.0.1, which the core refuses to reach unless an
  // admin allows it (main/core/net/address-policy.ts); the tests are that admin. Tests of the
  // refusal pass the strict policy explicitly, or clear this in their child's environment.
  env: { PORTE_VOIX_ALLOW_INTERNAL_HOSTS: '127.0.0.1' },
}

export default defineConfig({
  test: {
    // One temp root per run, deleted at the end; the run fails if tests leave anything outside
    // it. It also starts the run's one redis-server and PostgreSQL for the relay-cluster project.
    globalSetup: ['tests/global-setup.ts'],
    // Integration tests start relays and cores as child processes; two cores here, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'default',
          include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
        },
      },
      {
        // The relay suite again, every test relay on Redis streams + PostgreSQL snapshots (its own
        // Redis database and PostgreSQL schema on the run's shared servers, helpers/relay.ts).
        // `--project default` runs one backend only.
        test: {
          ...shared,
          name: 'relay-cluster',
          include: ['tests/relay/**/*.test.ts'],
          env: { ...shared.env, PORTE_VOIX_TEST_RELAY_BACKEND: 'cluster' },
        },
      },
      {
        // The relay suites where SQLite's update path changes what is stored, again with
        // `--update-journal off` (issue 11.3): the default project's relays acknowledge from the
        // update journal's write(); with it off, from a SQLite commit per turn. An explicit list,
        // to keep the run short (~136 s of test time over two workers at load 12-18; lifecycle,
        // 109 s more of pings, tokens and the admin tool that the journal does not change, is
        // left out).
        test: {
          ...shared,
          name: 'relay-journal-off',
          include: [
            'tests/relay/durability.test.ts',
            'tests/relay/durability-disk-full.test.ts',
            'tests/relay/persistence.test.ts',
            'tests/relay/drain.test.ts',
            'tests/relay/member-erasure.test.ts',
            'tests/relay/room-integrity.test.ts',
            'tests/relay/data-dir-modes.test.ts',
          ],
          env: { ...shared.env, PORTE_VOIX_RELAY_UPDATE_JOURNAL: 'off' },
        },
      },
    ],
  },
})
