/**
 * Setup file of the `services-s3` project only: an in-process main's S3 client takes its
 * credentials from the SDK's default chain, which reads process.env; spawned mains inherit them
 * too. Set here, in the worker, so that no other project's tests see them.
 */
import { inject } from 'vitest';

const server = inject('s3Server');
if (server === undefined) throw new Error('s3-worker-env.ts runs in the services-s3 project only (no s3Server)');
process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
