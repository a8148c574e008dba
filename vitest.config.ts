import { defineConfig } from 'vitest/config';

// Three projects so that the README's `npm test` stays fast (unit + integration on loopback)
// while the end-to-end suite with real clients (skopeo, Chromium) runs separately.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          // Several tests spawn dist/bin/outpost.js: build it first when missing or stale.
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
    ],
  },
});
