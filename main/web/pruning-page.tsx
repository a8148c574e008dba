/**
 * @module The pruning page of a repository (`/repositories/<name>/pruning`), for its administrators:
 * the policy as a form (one row per rule: tag pattern and its conditions; an empty pattern is no
 * rule), the repository-wide maximum, the pulled-recently protection and whether manifests left
 * untagged stay; a "Dry run" button that lists what the saved policy would delete now, with the
 * rule that matched each tag and the untagged manifests that would go; and a "Prune now" button
 * that deletes them (and shows what went).
 * Rendering only: main/web/handlers/pruning.tsx reads the form and calls main/pruning/.
 */
import type { FC } from 'hono/jsx';
import type { PlannedDeletion } from '../pruning/plan.js';
import { MAX_RULES } from '../pruning/policy.js';
import type { PruneReport } from '../pruning/pruner.js';
import {
  Alert,
  Card,
  Checkbox,
  EmptyState,
  PageHead,
  PostForm,
  ShortDigest,
  SubmitButton,
  TimeAgo,
} from './components.js';
import { repositoryHref } from './repositories.js';

export const pruningHref = (fullName: string) => `/repositories/${fullName}/pruning`;
export const dryRunHref = (fullName: string) => `/repositories/${fullName}/pruning/test`;
export const pruneNowHref = (fullName: string) => `/repositories/${fullName}/pruning/run`;

// Blank rows offered below the rules, so that a rule can be added without scripts.
const BLANK_ROWS = 3;

/** The form's values as text: the stored policy, or what was just submitted and refused. */
export interface PolicyForm {
  rules: Array<{ tagPattern: string; olderThanDays: string; notPulledForDays: string; keepMostRecent: string }>;
  maxTags: string;
  keepPulledWithinDays: string;
  keepUntaggedManifests: boolean;
}

export interface PruningPageProps {
  repo: string;
  form: PolicyForm;
  csrfToken: string;
  now: number;
  /** When the policy was last saved, and by whom. */
  updated?: { at: number; by: string };
  /** The dry run's result, shown after the "Dry run" button. */
  dryRun?: PruneReport;
  /** The real run's result, shown after the "Prune now" button. */
  pruned?: PruneReport;
}

const RULE_FIELDS = [
  ['olderThanDays', 'Pushed more than (days)'],
  ['notPulledForDays', 'Not pulled for (days)'],
  ['keepMostRecent', 'Keep the N most recent'],
] as const;

const RuleRows: FC<{ form: PolicyForm }> = ({ form }) => {
  const rows = [...form.rules];
  while (rows.length < Math.min(MAX_RULES, form.rules.length + BLANK_ROWS))
    rows.push({ tagPattern: '', olderThanDays: '', notPulledForDays: '', keepMostRecent: '' });
  return (
    <div class="table-scroll" tabindex={0}>
      <table class="table">
        <caption class="muted">
          A rule deletes a tag when all of its filled conditions hold; the first rule that matches is reported.
        </caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Tag pattern</th>
            {RULE_FIELDS.map(([, label]) => (
              <th scope="col">{label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((rule, i) => (
            <tr>
              <th scope="row">{i + 1}</th>
              <td>
                <input
                  name={`tagPattern-${i}`}
                  value={rule.tagPattern}
                  maxlength={128}
                  placeholder="e.g. dev-*"
                  aria-label={`Rule ${i + 1}: tag pattern (* any characters, ? one)`}
                />
              </td>
              {RULE_FIELDS.map(([name, label]) => (
                <td>
                  <input
                    name={`${name}-${i}`}
                    value={rule[name]}
                    type="number"
                    min="0"
                    inputmode="numeric"
                    aria-label={`Rule ${i + 1}: ${label}`}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

const UntaggedManifests: FC<{ report: PruneReport }> = ({ report }) =>
  report.manifests.length === 0 ? null : (
    <div class="table-scroll" tabindex={0}>
      <table class="table">
        <caption>
          {report.manifests.length} untagged manifests {report.dryRun ? 'would be deleted' : 'deleted'} (their layers
          are reclaimed by the next garbage collection)
        </caption>
        <tbody>
          {report.manifests.map((digest) => (
            <tr>
              <td>
                <code>{digest}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

const RunResult: FC<{ report: PruneReport; now: number }> = ({ report, now }) => {
  if (report.immutableTags)
    return <Alert kind="info">This repository's tags are immutable: pruning never deletes any of them.</Alert>;
  if (report.tags.length === 0)
    return (
      <EmptyState title={report.dryRun ? 'Nothing would be deleted' : 'Nothing was deleted'}>
        The saved policy matches no tag now.
      </EmptyState>
    );
  const ruleLabel = (entry: PlannedDeletion) => (entry.rule === 'maxTags' ? 'Maximum' : `Rule ${entry.rule + 1}`);
  return (
    <>
      <div class="table-scroll" tabindex={0}>
        <table class="table">
          <caption>
            {report.tags.length} tags {report.dryRun ? 'would be deleted' : 'deleted'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Tag</th>
              <th scope="col">Digest</th>
              <th scope="col">Pushed</th>
              <th scope="col">Last pulled</th>
              <th scope="col">Rule</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {report.tags.map((entry) => (
              <tr>
                <td>
                  <code>{entry.tag}</code>
                </td>
                <td>
                  <ShortDigest digest={entry.digest} />
                </td>
                <td>
                  <TimeAgo at={entry.pushedAt} now={now} />
                </td>
                <td>
                  {entry.lastPulledAt !== undefined ? (
                    <TimeAgo at={entry.lastPulledAt} now={now} />
                  ) : (
                    <span class="muted">never</span>
                  )}
                </td>
                <td>{ruleLabel(entry)}</td>
                <td>{entry.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <UntaggedManifests report={report} />
    </>
  );
};

export const PruningPage: FC<PruningPageProps> = (p) => (
  <>
    <PageHead
      title={`Pruning: ${p.repo}`}
      subtitle="Delete tags that are old, unused or beyond a count, and the manifests they leave untagged. Layers left unreferenced are reclaimed by the garbage collector."
      crumbs={[
        { href: '/repositories', label: 'Repositories' },
        { href: repositoryHref(p.repo), label: p.repo },
      ]}
    />
    <div class="stack">
      <Card id="policy" title="Policy" hint={p.updated ? `Saved by ${p.updated.by}` : 'Not set: nothing is pruned'}>
        <div class="card-body">
          <PostForm action={pruningHref(p.repo)} csrfToken={p.csrfToken} label="Pruning policy">
            <RuleRows form={p.form} />
            <div class="field">
              <label for="f-maxTags">Maximum number of tags</label>
              <input
                id="f-maxTags"
                name="maxTags"
                type="number"
                min="1"
                value={p.form.maxTags}
                aria-describedby="f-maxTags-help"
              />
              <div class="help" id="f-maxTags-help">
                Beyond it, the oldest tags go. Empty: no maximum.
              </div>
            </div>
            <div class="field">
              <label for="f-keepPulledWithinDays">Keep tags pulled within (days)</label>
              <input
                id="f-keepPulledWithinDays"
                name="keepPulledWithinDays"
                type="number"
                min="0"
                value={p.form.keepPulledWithinDays}
                aria-describedby="f-keepPulledWithinDays-help"
              />
              <div class="help" id="f-keepPulledWithinDays-help">
                A tag pulled this recently is never pruned, whatever the rules say. Empty: no such protection.
              </div>
            </div>
            <Checkbox
              name="keepUntaggedManifests"
              label="Keep the manifests left untagged"
              checked={p.form.keepUntaggedManifests}
              help="By default, a manifest whose last tag is pruned is deleted too (unless an index or a kept referrer still needs it), so that garbage collection reclaims its layers."
            />
            <SubmitButton label="Save policy" />
          </PostForm>
        </div>
      </Card>
      <Card id="dry-run" title="Dry run" hint="Deletes nothing">
        <div class="card-body">
          <PostForm action={dryRunHref(p.repo)} csrfToken={p.csrfToken} label="Dry run of the saved policy">
            <SubmitButton label="Dry run" />
          </PostForm>
          {p.dryRun && <RunResult report={p.dryRun} now={p.now} />}
        </div>
      </Card>
      <Card id="prune-now" title="Prune now" hint="Deletes what the dry run lists">
        <div class="card-body">
          <PostForm action={pruneNowHref(p.repo)} csrfToken={p.csrfToken} label="Prune now with the saved policy">
            <SubmitButton label="Prune now" />
          </PostForm>
          {p.pruned && <RunResult report={p.pruned} now={p.now} />}
        </div>
      </Card>
    </div>
  </>
);
