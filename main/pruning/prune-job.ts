/**
 * @module The `prune` job kind (contract: main/jobs/types.ts), which the job runner registers:
 * params `{ repository?: string, dryRun: boolean }`. With a repository, that repository's policy
 * runs; without one, every repository that has a policy with rules or a maximum, one after the
 * other (a cron's nightly prune). Deletions are recorded as `prune` events by the actor
 * `job:<id>`. Admins may start it (`POST /api/v0/jobs`), so the runner checks that they are admins.
 */
import { isRepoName } from '../../src/oci/reference.js';
import { AccountError } from '../accounts/errors.js';
import type { JobKind } from '../jobs/types.js';
import type { Pruning } from './pruner.js';

export interface PruneJobDeps {
  pruning: Pick<Pruning, 'run'>;
  /** Repositories that have a policy (with rules or `maxTags`), in name order. */
  repositoriesWithPolicies: () => Promise<string[]>;
}

export function createPruneJobKind({ pruning, repositoriesWithPolicies }: PruneJobDeps): JobKind {
  return {
    kind: 'prune',
    adminMayStart: true,

    parseParams(input) {
      // No parameters: every repository with a policy, for real.
      const given = input ?? {};
      if (typeof given !== 'object' || Array.isArray(given))
        throw new AccountError('INVALID_INPUT', 'prune parameters must be an object');
      const params = given as Record<string, unknown>;
      const unknown = Object.keys(params).filter((name) => name !== 'repository' && name !== 'dryRun');
      if (unknown.length > 0)
        throw new AccountError('INVALID_INPUT', `unknown prune parameter: ${unknown[0]!.slice(0, 50)}`);
      const { repository, dryRun = false } = params;
      if (repository !== undefined && (typeof repository !== 'string' || !isRepoName(repository)))
        throw new AccountError('INVALID_INPUT', 'repository must be a repository name');
      if (typeof dryRun !== 'boolean') throw new AccountError('INVALID_INPUT', 'dryRun must be true or false');
      return { ...(repository !== undefined && { repository }), dryRun };
    },

    async run(context) {
      const dryRun = context.params.dryRun === true;
      const only = context.params.repository;
      const names = typeof only === 'string' ? [only] : await repositoriesWithPolicies();
      let tags = 0;
      let skipped = 0;
      let manifests = 0;
      for (const [index, name] of names.entries()) {
        context.signal.throwIfAborted();
        const report = await pruning.run(name, `job:${context.id}`, { dryRun, signal: context.signal });
        tags += report.tags.length;
        skipped += report.skipped.length;
        manifests += report.manifests.length;
        const verb = dryRun ? 'would delete' : 'deleted';
        context.log(
          `${name}: ${verb} ${report.tags.length} tags${report.immutableTags ? ' (immutable tags: none)' : ''}` +
            ` and ${report.manifests.length} untagged manifests`,
        );
        for (const planned of report.tags.slice(0, 50)) context.log(`  ${planned.tag}: ${planned.reason}`);
        context.progress(index + 1, names.length, name);
      }
      return {
        repositories: names.length,
        dryRun,
        [dryRun ? 'wouldDelete' : 'deleted']: tags,
        [dryRun ? 'manifestsWouldGo' : 'manifestsDeleted']: manifests,
        skipped,
      };
    },
  };
}
