// The pull policy's decisions (main/registry/pull-policy.ts) on findings shaped after published advisories
// (ids, packages, versions and scores as GitHub, Debian and NVD publish them).
import { describe, expect, it } from 'vitest';
import { OciError } from '../../../src/oci/errors.js';
import type { Digest } from '../../../src/oci/digest.js';
import type { RepoName } from '../../../src/oci/reference.js';
import type { PullBlockSeverity, RepositoryRecord } from '../../../main/metadata/registry.js';
import {
  blockingFinding,
  blocks,
  compareFindings,
  createPullPolicy,
  describeFinding,
  worstFinding,
} from '../../../main/registry/pull-policy.js';
import type { ImageScan } from '../../../main/scans/types.js';
import type { Finding } from '../../../main/vulndb/types.js';

const layer = `sha256:${'1a'.repeat(32)}`;
// npm semver ReDoS, GHSA "moderate", CVSS 3.1 5.3; fixed in 7.5.2.
const semver: Finding = {
  id: 'GHSA-c2qf-rxjj-qqgw',
  aliases: ['CVE-2022-25883'],
  severity: 'medium',
  cvssScore: 5.3,
  package: { ecosystem: 'npm', name: 'semver', version: '7.5.1', purl: 'pkg:npm/semver@7.5.1', layer },
  fixedVersion: '7.5.2',
};
// glibc "Looney Tunables", CVSS 3.1 7.8; Debian 12 fixed it in 2.36-9+deb12u3.
const glibc: Finding = {
  id: 'DEBIAN-CVE-2023-4911',
  aliases: ['CVE-2023-4911'],
  severity: 'high',
  cvssScore: 7.8,
  package: {
    ecosystem: 'deb',
    name: 'libc6',
    version: '2.36-9+deb12u1',
    purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64',
    layer,
    sourceName: 'glibc',
  },
  fixedVersion: '2.36-9+deb12u3',
};
const unscored: Finding = { ...semver, id: 'GHSA-0000-unscored', severity: 'unknown', cvssScore: undefined as never };

describe('blocks', () => {
  it('refuses at and above the chosen severity, never with "none", never for "unknown" findings', () => {
    const table: Array<[PullBlockSeverity, string[]]> = [
      ['critical', ['critical']],
      ['high', ['critical', 'high']],
      ['medium', ['critical', 'high', 'medium']],
      ['low', ['critical', 'high', 'medium', 'low']],
      ['none', []],
    ];
    for (const [policy, refused] of table) {
      const got = (['critical', 'high', 'medium', 'low', 'unknown'] as const).filter((s) => blocks(policy, s));
      expect(got, policy).toEqual(refused);
    }
  });
});

describe('worstFinding', () => {
  it('picks the worst severity, then the higher CVSS score, then the smaller id', () => {
    expect(worstFinding([semver, glibc, unscored])).toBe(glibc);
    const lower = { ...glibc, id: 'DEBIAN-CVE-2023-0001', cvssScore: 7.0 };
    expect(worstFinding([lower, glibc])).toBe(glibc);
    const twin = { ...glibc, id: 'DEBIAN-CVE-2023-0002' };
    expect(worstFinding([glibc, twin])).toBe(twin);
    expect([unscored, semver, glibc].sort(compareFindings)).toEqual([glibc, semver, unscored]);
    expect(worstFinding([])).toBeUndefined();
  });
});

describe('blockingFinding and describeFinding', () => {
  it('names the worst finding with its alias, package, version, severity and fix', () => {
    expect(blockingFinding('critical', [semver, glibc])).toBeUndefined();
    expect(blockingFinding('high', [semver, glibc])).toBe(glibc);
    expect(describeFinding(glibc)).toBe(
      'DEBIAN-CVE-2023-4911 (CVE-2023-4911) in libc6 2.36-9+deb12u1 is high, fixed in 2.36-9+deb12u3',
    );
  });
});

describe('createPullPolicy', () => {
  const repo = 'team/app' as RepoName;
  const digest = `sha256:${'2b'.repeat(32)}` as Digest;
  const done = (vulnerabilities: Finding[]): ImageScan => ({
    manifestDigest: digest,
    state: 'done',
    reason: 'push',
    queuedAt: '2026-12-01T05:00:00.000Z',
    result: {
      inventory: { packages: [], skipped: [], layers: [layer] },
      vulnerabilities,
      counts: { critical: 0, high: 1, medium: 1, low: 0, unknown: 0 },
      dbGeneration: 'g1',
      scannedAt: '2026-12-01T05:01:00.000Z',
    },
  });
  const policyOver = (record: RepositoryRecord | undefined, scan: ImageScan | undefined) => {
    let scanReads = 0;
    const policy = createPullPolicy({
      metadata: { getRepository: async () => record },
      scans: {
        forManifest: async () => {
          scanReads++;
          return scan;
        },
      },
    });
    return { policy, reads: () => scanReads };
  };

  it('refuses DENIED naming the worst finding when the last scan has one at or above the policy', async () => {
    const { policy } = policyOver({ createdAt: 1, blockPullsAtSeverity: 'high' }, done([semver, glibc]));
    const err = await policy.check(repo, digest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).code).toBe('DENIED');
    expect((err as OciError).message).toBe(
      'pulls of images with high or worse vulnerabilities are refused in team/app: DEBIAN-CVE-2023-4911 ' +
        '(CVE-2023-4911) in libc6 2.36-9+deb12u1 is high, fixed in 2.36-9+deb12u3 (1 high in all)',
    );
  });

  it('allows findings below the policy, unscanned images, unfinished scans, and reads no scan without a policy', async () => {
    await expect(
      policyOver({ createdAt: 1, blockPullsAtSeverity: 'critical' }, done([glibc])).policy.check(repo, digest),
    ).resolves.toBeUndefined();
    await expect(
      policyOver({ createdAt: 1, blockPullsAtSeverity: 'low' }, undefined).policy.check(repo, digest),
    ).resolves.toBeUndefined();
    const queued: ImageScan = { manifestDigest: digest, state: 'queued', reason: 'push', queuedAt: 'x' };
    await expect(
      policyOver({ createdAt: 1, blockPullsAtSeverity: 'low' }, queued).policy.check(repo, digest),
    ).resolves.toBeUndefined();
    const none = policyOver({ createdAt: 1 }, done([glibc]));
    await none.policy.check(repo, digest);
    expect(none.reads()).toBe(0);
  });

  it('keeps refusing on the previous result while a rescan is queued', async () => {
    const rescan = { ...done([glibc]), state: 'queued' as const };
    const { policy } = policyOver({ createdAt: 1, blockPullsAtSeverity: 'high' }, rescan);
    await expect(policy.check(repo, digest)).rejects.toMatchObject({ code: 'DENIED' });
  });
});
