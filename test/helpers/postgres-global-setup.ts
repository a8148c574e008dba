/**
 * Vitest global setup of the `services-postgres` project: starts ONE private PostgreSQL cluster
 * (test/helpers/postgres.ts) for the whole run and hands its superuser URL to the test files as
 * the provided value `postgresAdminUrl`; test/helpers/test-backend.ts then gives every main a
 * database of its own. The cluster and its files are removed when the run ends.
 *
 * Provided rather than put in the environment: vitest runs several projects in one process, and
 * the embedded projects started by the same `vitest run` must not see it.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL cluster; absent in the projects on the embedded backend. */
    postgresAdminUrl?: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgres();
  project.provide('postgresAdminUrl', cluster.adminUrl);
  return () => cluster.remove();
}
