/**
 * @module A repository's pull policy (issue 12, DTR's "promotion" idea kept small): a repository may
 * refuse pulls of images whose last scan found a vulnerability at or above a chosen severity
 * (`blockPullsAtSeverity`). The refusal is `DENIED` naming the worst finding, so the client's error
 * says what to fix.
 *
 * Cheap by design, since it runs on every manifest pull: the repository record (already read, and
 * remembered across replicas, for the access check) and, only when the repository has a policy, one
 * read of the stored scan of that manifest. It never starts a scan. What is decided:
 * - an image never scanned (or whose scan has not finished) is allowed: the policy judges findings,
 *   and a pull must not wait for a scan;
 * - the findings of the last finished scan count while a rescan is queued or running;
 * - an index has no scan of its own: it is allowed, and each platform's manifest, which a client
 *   fetches next by digest, is judged on its own;
 * - findings of severity "unknown" never block: no advisory said they reach any level.
 * Must not know HTTP: it throws the registry's `OciError`, as main/registry/manifests.ts does.
 */
import { OciError } from '../../src/oci/errors.js';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { PullBlockSeverity, RegistryMetadata } from '../metadata/registry.js';
import type { ScanResults } from '../scans/types.js';
import { SEVERITIES, type Finding, type Severity } from '../vulndb/types.js';

/** Worst first; a finding blocks when its rank is at most the policy's. */
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, unknown: 99 };
const POLICY_RANK: Record<PullBlockSeverity, number> = { critical: 0, high: 1, medium: 2, low: 3, none: -1 };

export interface PullPolicy {
  /** Resolves when `digest` of `repo` may be pulled; `DENIED` naming the worst finding otherwise. */
  check(repo: RepoName, digest: Digest): Promise<void>;
}

export interface PullPolicyDeps {
  metadata: Pick<RegistryMetadata, 'getRepository'>;
  scans: ScanResults;
}

/** Worst first: by severity, then CVSS score, then id, so the order is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    RANK[a.severity] - RANK[b.severity] ||
    (b.cvssScore ?? -1) - (a.cvssScore ?? -1) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** The worst of `findings` (compareFindings' first); undefined when empty. */
export function worstFinding(findings: readonly Finding[]): Finding | undefined {
  let worst: Finding | undefined;
  for (const f of findings) if (!worst || compareFindings(f, worst) < 0) worst = f;
  return worst;
}

/** Whether a finding of `severity` is refused under `policy`. */
export const blocks = (policy: PullBlockSeverity, severity: Severity): boolean =>
  POLICY_RANK[policy] >= 0 && RANK[severity] <= POLICY_RANK[policy];

/** The finding that makes `policy` refuse these findings, if any. */
export function blockingFinding(policy: PullBlockSeverity, findings: readonly Finding[]): Finding | undefined {
  const worst = worstFinding(findings);
  return worst && blocks(policy, worst.severity) ? worst : undefined;
}

/** One line naming a finding for users: id (first alias), package and version, severity. */
export function describeFinding(f: Finding): string {
  const alias = f.aliases.find((a) => a !== f.id);
  const id = alias ? `${f.id} (${alias})` : f.id;
  const fixed = f.fixedVersion ? `, fixed in ${f.fixedVersion}` : '';
  return `${id} in ${f.package.name} ${f.package.version} is ${f.severity}${fixed}`;
}

export function createPullPolicy({ metadata, scans }: PullPolicyDeps): PullPolicy {
  return {
    async check(repo, digest) {
      const policy = (await metadata.getRepository(repo))?.blockPullsAtSeverity ?? 'none';
      if (policy === 'none') return;
      const result = (await scans.forManifest(digest))?.result;
      // The counts settle most pulls without looking at the findings.
      if (!result || !SEVERITIES.some((s) => result.counts[s] > 0 && blocks(policy, s))) return;
      const finding = blockingFinding(policy, result.vulnerabilities);
      if (!finding) return;
      throw new OciError('DENIED', {
        message:
          `pulls of images with ${policy} or worse vulnerabilities are refused in ${repo}: ` +
          `${describeFinding(finding)} (${result.counts[finding.severity]} ${finding.severity} in all)`,
        detail: {
          digest,
          policy,
          finding: { id: finding.id, package: finding.package.name, severity: finding.severity },
        },
      });
    },
  };
}
