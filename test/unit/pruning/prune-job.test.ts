/**
 * The `prune` job kind (main/pruning/prune-job.ts) over the real embedded metadata and the real
 * pruning service, as the job runner will call it: its parameters checked, one repository or
 * every repository with a policy, dry runs that delete nothing, `prune` events by `job:<id>`,
 * progress and log lines, and a cancelled job that stops.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountError } from '../../../main/accounts/errors.js';
import type { JobContext } from '../../../main/jobs/types.js';
import { openEmbeddedMetadata } from '../../../main/metadata/lmdb/open.js';
import type { Metadata } from '../../../main/metadata/metadata.js';
import { DAY_MS } from '../../../main/pruning/plan.js';
import { createPruneJobKind } from '../../../main/pruning/prune-job.js';
import { createPruning } from '../../../main/pruning/pruner.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { digest, manifestRecord } from '../../contract/registry-metadata-fixtures.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const NOW = 500 * DAY_MS;

describe('prune job kind', () => {
  let temp: TempDir;
  let metadata: Metadata;
  let job: ReturnType<typeof createPruneJobKind>;

  beforeEach(async () => {
    temp = await createTempDir('outpost-prune-job-');
    metadata = openEmbeddedMetadata(temp.path);
    const pruning = createPruning({
      registry: metadata.registry,
      store: metadata.pruning,
      administer: () => {
        throw new Error('a job never checks a principal');
      },
      actorOf: () => 'nobody',
      now: () => NOW,
    });
    job = createPruneJobKind({ pruning, repositoriesWithPolicies: () => pruning.repositoriesWithPolicies() });
  });
  afterEach(async () => {
    await metadata.close();
    await temp.remove();
  });

  /** Tags `t1`..`t<count>` of `repo`, `t<k>` pushed k days before NOW. */
  async function repository(repo: string, count: number) {
    for (let k = 1; k <= count; k++) {
      const blob = digest(`${repo} layer ${k}`);
      await metadata.registry.linkBlob(repo as RepoName, blob, 10, NOW - k * DAY_MS);
      await metadata.registry.putManifest({
        repo: repo as RepoName,
        digest: digest(`${repo} ${k}`),
        record: manifestRecord([blob], NOW - k * DAY_MS),
        tag: `t${k}`,
        actor: 'alice',
      });
    }
  }

  function context(params: Record<string, unknown>, signal = new AbortController().signal) {
    const lines: string[] = [];
    const progress: Array<[number, number | undefined]> = [];
    const ctx: JobContext = {
      id: '42',
      params,
      signal,
      progress: (done, total) => void progress.push([done, total]),
      log: (line) => void lines.push(line),
    };
    return { ctx, lines, progress };
  }

  const tagNames = async (repo: string) => (await metadata.registry.listTags(repo, { limit: 100 })).map((t) => t.name);

  it('checks its parameters: an optional repository name and a dryRun flag (default false)', () => {
    expect(job.kind).toBe('prune');
    expect(job.adminMayStart).toBe(true);
    expect(job.parseParams({ repository: 'team/app', dryRun: true })).toEqual({ repository: 'team/app', dryRun: true });
    expect(job.parseParams({})).toEqual({ dryRun: false });
    expect(job.parseParams(undefined)).toEqual({ dryRun: false });
    for (const bad of [{ repository: 'Team/App' }, { repository: 7 }, { dryRun: 'yes' }, { regex: '.*' }, [], 'x']) {
      expect(() => job.parseParams(bad)).toThrow(AccountError);
    }
  });

  it('prunes every repository that has a policy, recording each deletion as an event of the job', async () => {
    await repository('team/app', 6);
    await repository('team/lib', 4);
    await repository('team/none', 3);
    const policy = { rules: [{ tagPattern: '*', olderThanDays: 3 }], updatedAt: 1, updatedBy: 'alice' };
    await metadata.pruning.putPolicy('team/app', policy);
    await metadata.pruning.putPolicy('team/lib', { rules: [], maxTags: 1, updatedAt: 1, updatedBy: 'alice' });
    await metadata.pruning.putPolicy('team/none', { rules: [], updatedAt: 1, updatedBy: 'alice' });
    const { ctx, lines, progress } = context(job.parseParams({}));
    expect(await job.run(ctx)).toEqual({
      repositories: 2,
      dryRun: false,
      deleted: 6,
      manifestsDeleted: 6,
      skipped: 0,
    });
    expect(await tagNames('team/app')).toEqual(['t1', 't2', 't3']);
    expect(await tagNames('team/lib')).toEqual(['t1']);
    expect(await tagNames('team/none')).toEqual(['t1', 't2', 't3']);
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(lines[0]).toBe('team/app: deleted 3 tags and 3 untagged manifests');
    expect(lines).toContain('  t4: rule 1 ("*"): pushed 4 days ago (more than 3)');
    expect((await metadata.registry.listEvents('team/lib', 1))[0]).toMatchObject({ type: 'prune', actor: 'job:42' });
  });

  it('as a dry run on one repository, reports what would go and deletes nothing', async () => {
    await repository('team/app', 5);
    await metadata.pruning.putPolicy('team/app', { rules: [], maxTags: 2, updatedAt: 1, updatedBy: 'a' });
    const { ctx, lines } = context(job.parseParams({ repository: 'team/app', dryRun: true }));
    expect(await job.run(ctx)).toEqual({
      repositories: 1,
      dryRun: true,
      wouldDelete: 3,
      manifestsWouldGo: 3,
      skipped: 0,
    });
    expect(lines[0]).toBe('team/app: would delete 3 tags and 3 untagged manifests');
    expect(await tagNames('team/app')).toEqual(['t1', 't2', 't3', 't4', 't5']);
  });

  it('stops when cancelled, before deleting anything more', async () => {
    await repository('team/app', 3);
    await metadata.pruning.putPolicy('team/app', { rules: [], maxTags: 1, updatedAt: 1, updatedBy: 'a' });
    const cancel = new AbortController();
    cancel.abort();
    await expect(job.run(context({ dryRun: false }, cancel.signal).ctx)).rejects.toThrow();
    expect(await tagNames('team/app')).toEqual(['t1', 't2', 't3']);
  });
});
