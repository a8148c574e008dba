/**
 * Job runners of two replicas on one PostgreSQL database (main/jobs/runner.ts over
 * main/metadata/postgres/jobs.ts): every job runs exactly once between them, and the job of a
 * replica that died is taken over by the other and run again as attempt 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log/logger.js';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { JOBS_MIGRATIONS } from '../../../main/metadata/postgres/jobs-schema.js';
import { createPostgresJobStore } from '../../../main/metadata/postgres/jobs.js';
import { startJobsModule, type JobsModule } from '../../../main/jobs/jobs-module.js';
import type { JobKind } from '../../../main/jobs/types.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { migrate } from '../../helpers/postgres-accounts.js';

let server: TestPostgres;
const pools: PostgresDatabase[] = [];
const modules: JobsModule[] = [];
const runs = new Map<string, string[]>();

/** Records which replica ran each job, yielding between steps so that the two runners interleave. */
const countingKind = (replica: string): JobKind => ({
  kind: 'count',
  adminMayStart: true,
  parseParams: () => ({}),
  async run(context) {
    await new Promise((resolve) => setImmediate(resolve));
    runs.set(context.id, [...(runs.get(context.id) ?? []), replica]);
    context.log(`ran on ${replica}`);
    return { replica };
  },
});

async function replica(url: string, name: string): Promise<JobsModule> {
  const db = await PostgresDatabase.connect(url, { maxConnections: 4 });
  pools.push(db);
  const module = await startJobsModule({
    store: createPostgresJobStore(db),
    kinds: [countingKind(name)],
    holder: name,
    concurrency: 2,
    embedded: false,
    logger: silentLogger,
    now: Date.now,
    timers: false,
  });
  modules.push(module);
  return module;
}

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  for (const module of modules) await module.stop();
  for (const pool of pools) await pool.close();
  await server?.remove();
});

describe('two runners on one PostgreSQL database', () => {
  it('run each of 30 jobs once between them', async () => {
    const url = await server.createDatabase();
    await migrate(url, JOBS_MIGRATIONS);
    const [a, b] = [await replica(url, 'replica-a'), await replica(url, 'replica-b')];
    const ids: string[] = [];
    for (let i = 0; i < 30; i++)
      ids.push((await (i % 2 ? a : b).jobs.start({ kind: 'count', params: {}, startedBy: 'main' })).id);
    await Promise.all([a.runner.drain(), b.runner.drain()]);
    for (const id of ids) {
      expect(runs.get(id), id).toHaveLength(1);
      expect(await a.jobs.get(id)).toMatchObject({ state: 'done', attempt: 1, summary: { replica: runs.get(id)![0] } });
    }
    const byReplica = ids.map((id) => runs.get(id)![0]);
    expect(new Set(byReplica)).toEqual(new Set(['replica-a', 'replica-b']));
  });

  it('runs again, as attempt 2, a job whose replica died while running it', async () => {
    const url = await server.createDatabase();
    await migrate(url, JOBS_MIGRATIONS);
    const db = await PostgresDatabase.connect(url, { maxConnections: 2 });
    pools.push(db);
    const store = createPostgresJobStore(db);
    const job = await store.create({
      id: '00000000000100000000',
      kind: 'count',
      startedBy: 'main',
      params: {},
      createdAt: 1,
    });
    // The dead replica claimed it; its lease ran out (made to, rather than waited for).
    await store.claim('dead-replica', ['count'], 60_000, 2);
    const survivor = await replica(url, 'survivor');
    await survivor.runner.drain();
    expect((await store.get(job.id))?.state).toBe('running');
    await store.expireAllLeases();
    await survivor.runner.drain();
    expect(await store.get(job.id)).toMatchObject({ state: 'done', attempt: 2, summary: { replica: 'survivor' } });
    expect((await store.readLog(job.id, 0, 10))?.lines).toEqual([
      'attempt 2: the previous run was interrupted',
      'ran on survivor',
    ]);
  });
});
