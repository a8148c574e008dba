import { defineConfig } from 'vitest/config';

// The README's `npm test` (unit + integration on loopback) needs nothing but Node and the
// packages `npm ci` installs. Suites that need more run under their own scripts:
// - full-disk (`npm run test:full-disk`): a real full disk, a small tmpfs, which needs root;
// - e2e (`npm run test:e2e`): real clients, skopeo and Chromium;
// - services (`npm run test:services`): the real PostgreSQL, Ceph S3 and nginx that .ci/run installs
//   (the suites start their own servers; test/helpers/s3.ts installs Ceph itself as root if missing);
//   it then runs services-postgres: the registry behaviour suites again, each main on a database of
//   its own in one PostgreSQL cluster and a blob directory (test/helpers/test-backend.ts), and then
//   services-s3: the same suites with the blobs in a bucket of their own in one Ceph RGW.
const FULL_DISK = 'test/**/*.full-disk.test.ts';

// The registry behaviour suites, which also run on PostgreSQL with a blob directory (`services-postgres`)
// and with S3 (`services-s3`).
const BEHAVIOUR_SUITES = ['conformance', 'v2', 'api', 'auth', 'redirect', 'web', 'vulndb'].map(
  (prefix) => `test/integration/${prefix}-*.test.ts`,
);

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          exclude: [FULL_DISK],
          // Several tests spawn dist/bin/outpost.js: build it first when missing or stale.
          globalSetup: ['test/helpers/build-dist.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'full-disk',
          include: [FULL_DISK],
          globalSetup: ['test/helpers/build-dist.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/helpers/build-dist.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'services',
          include: ['test/services/**/*.test.ts'],
          globalSetup: ['test/helpers/build-dist.ts'],
          // A first Ceph start may install its Debian packages (about 20 s, more under load).
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // Each file starts its own servers (PostgreSQL, Ceph): two at once would crowd two cores.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'services-postgres',
          include: BEHAVIOUR_SUITES,
          // One PostgreSQL cluster for the run; every main gets a database of its own in it.
          globalSetup: ['test/helpers/build-dist.ts', 'test/helpers/postgres-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'services-s3',
          include: BEHAVIOUR_SUITES,
          // One PostgreSQL cluster and one Ceph RGW for the run; every main gets a database and a bucket.
          globalSetup: [
            'test/helpers/build-dist.ts',
            'test/helpers/postgres-global-setup.ts',
            'test/helpers/s3-global-setup.ts',
          ],
          // The S3 credentials, in this project's workers only (the SDK reads them from process.env).
          setupFiles: ['test/helpers/s3-worker-env.ts'],
          testTimeout: 60_000,
          // Ceph's first start may install its packages (test/helpers/s3.ts).
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
