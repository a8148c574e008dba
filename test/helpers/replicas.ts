/**
 * Several replicas of main (the built CLI, real processes) on one PostgreSQL database and one
 * shared blob store, behind Debian's nginx as the load balancer: the production shape, on
 * loopback. Every process and directory it creates is removed by `stop()`.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startOutpost, type OutpostProcess } from './outpost-processes.js';
import { freePort, startBalancer, type TestBalancer } from './nginx.js';
import { createTempDir, type TempDir } from './temp-dir.js';

export const REPLICA_ADMIN_PASSWORD = 'replica-admin-password-1';

export interface ReplicaSet {
  /** The load balancer's URL: what clients use, and every replica's public URL. */
  readonly url: string;
  readonly replicas: OutpostProcess[];
  readonly balancer: TestBalancer;
  /** The `--blobs` every replica shares, and the `--secret-key-file` (for offline commands such as gc). */
  readonly blobs: string;
  readonly secretKeyFile: string;
  /** Starts one more replica (or restarts replica `index` after it died) with the same settings. */
  startReplica(index?: number): Promise<OutpostProcess>;
  stop(): Promise<void>;
}

export interface ReplicaSetOptions {
  count: number;
  databaseUrl: string;
  /** `--blobs`: a shared directory or an s3:// URL; default a directory of the set's own. */
  blobs?: string;
  /** Extra environment (S3 credentials). */
  env?: Record<string, string>;
}

export async function startReplicaSet(options: ReplicaSetOptions): Promise<ReplicaSet> {
  const temp: TempDir = await createTempDir('outpost-replicas-');
  const kek = join(temp.path, 'kek');
  await writeFile(kek, randomBytes(32).toString('base64'), { mode: 0o600 });
  const blobs = options.blobs ?? join(temp.path, 'shared-blobs');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const replicas: OutpostProcess[] = [];
  let balancer: TestBalancer | undefined;

  const launch = (index: number) =>
    startOutpost(
      [
        'main',
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--public-url',
        url,
        '--data',
        join(temp.path, `replica-${index}`),
        '--database',
        options.databaseUrl,
        '--secret-key-file',
        kek,
        '--blobs',
        blobs,
      ],
      {
        OUTPOST_ADMIN_PASSWORD: REPLICA_ADMIN_PASSWORD,
        // The balancer is the only proxy in front of the replicas.
        OUTPOST_MAIN_HTTP__TRUSTED_PROXIES: '127.0.0.1',
        ...options.env,
      },
      'main registry listening',
    );

  const stop = async () => {
    await Promise.allSettled(replicas.map((r) => r.stop('SIGKILL')));
    await balancer?.stop();
    await temp.remove();
  };
  try {
    // Together, as replicas of a cluster start: the schema migration must cope.
    replicas.push(...(await Promise.all(Array.from({ length: options.count }, (_, i) => launch(i)))));
    balancer = await startBalancer(
      replicas.map((r) => r.url),
      port,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    replicas,
    balancer,
    blobs,
    secretKeyFile: kek,
    async startReplica(index) {
      const at = index ?? replicas.length;
      const started = await launch(at);
      replicas[at] = started;
      await balancer!.setUpstreams(replicas.map((r) => r.url));
      return started;
    },
    stop,
  };
}
