/**
 * Vitest global setup of the `services-s3` project (after postgres-global-setup.ts): starts ONE
 * Ceph RGW (test/helpers/s3.ts) for the whole run and hands its endpoint, region and credentials to
 * the test files as the provided value `s3Server`; test/helpers/test-backend.ts then gives every
 * main a bucket of its own, and s3-worker-env.ts puts the credentials where the SDK's default chain
 * finds them. Provided, not exported to the environment, for the same reason as `postgresAdminUrl`.
 */
import type { TestProject } from 'vitest/node';
import { startS3 } from './s3.js';

export interface ProvidedS3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's Ceph RGW; absent outside the `services-s3` project. */
    s3Server?: ProvidedS3Server;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3 = await startS3();
  const { endpoint, region, credentials } = s3;
  project.provide('s3Server', { endpoint, region, ...credentials });
  return () => s3.stop();
}
