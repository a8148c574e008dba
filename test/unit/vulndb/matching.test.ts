import { describe, expect, it } from 'vitest';
import { findVulnerabilities } from '../../../main/vulndb/match.js';
import { NotOsvError, readOsvRecord, type Advisory } from '../../../main/vulndb/osv.js';
import { matchAffected } from '../../../main/vulndb/ranges.js';
import { severityOf } from '../../../main/vulndb/severity.js';
import type { Inventory } from '../../../main/scan/types.js';

/** An OSV record with one affected package; `extra` is merged into the affected entry. */
function record(ecosystem: string, name: string, extra: Record<string, unknown>, top: Record<string, unknown> = {}) {
  return {
    id: 'TEST-1',
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem, name }, ...extra }],
    ...top,
  };
}

function advisory(...args: Parameters<typeof record>): Advisory {
  const read = readOsvRecord(record(...args));
  if (!read) throw new Error('skipped');
  return read;
}

const events = (...list: Record<string, string>[]) => ({ ranges: [{ type: 'ECOSYSTEM', events: list }] });

function affectedOf(a: Advisory) {
  const first = a.affected[0];
  if (!first) throw new Error('no affected');
  return first;
}

describe('OSV range evaluation', () => {
  it('treats last_affected as inclusive and fixed as exclusive', () => {
    const a = affectedOf(advisory('Debian:12', 'p', events({ introduced: '1.0-1' }, { last_affected: '1.2-1' })));
    expect(['0.9-1', '1.0-1', '1.2-1', '1.2-2'].map((v) => matchAffected(v, a) !== undefined)).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('reports the fix of the range the version falls in, with events in any order', () => {
    const a = affectedOf(
      advisory(
        'Alpine:v3.20',
        'p',
        events({ fixed: '2.3-r0' }, { introduced: '2.0-r0' }, { fixed: '1.5-r0' }, { introduced: '0' }),
      ),
    );
    expect(matchAffected('1.2-r0', a)).toEqual({ fixedVersion: '1.5-r0' });
    expect(matchAffected('1.7-r0', a)).toBeUndefined();
    expect(matchAffected('2.1-r3', a)).toEqual({ fixedVersion: '2.3-r0' });
    expect(matchAffected('2.3-r0', a)).toBeUndefined();
  });

  it('caps a range at its limit events', () => {
    const a = affectedOf(
      advisory('npm', 'p', { ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { limit: '2.0.0' }] }] }),
    );
    expect(matchAffected('1.9.9', a)).toEqual({});
    expect(matchAffected('2.0.0', a)).toBeUndefined();
  });

  it('matches the versions list exactly, and skips ranges whose versions do not parse', () => {
    const a = affectedOf(
      advisory('PyPI', 'Some_Project', {
        versions: ['1.0'],
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: 'not-a-version' }, { fixed: '2.0' }] }],
      }),
    );
    expect(a.name).toBe('some-project');
    expect(matchAffected('1.0', a)).toEqual({});
    expect(matchAffected('1.5', a)).toBeUndefined();
  });

  it('finds a Go module version in a versions list written without its "v"', () => {
    const a = affectedOf(advisory('Go', 'example.com/m', { versions: ['1.2.3'] }));
    expect(matchAffected('v1.2.3', a)).toEqual({});
    expect(matchAffected('v1.2.4', a)).toBeUndefined();
  });

  it('drops GIT ranges and ecosystems outpost does not match', () => {
    expect(readOsvRecord(record('crates.io', 'p', events({ introduced: '0' })))).toBeUndefined();
    expect(
      readOsvRecord(record('npm', 'p', { ranges: [{ type: 'GIT', repo: 'x', events: [{ introduced: 'abc' }] }] })),
    ).toBeUndefined();
  });
});

describe('reading OSV records', () => {
  it.each([
    ['an array', []],
    ['a record without id', { modified: '2024-01-01T00:00:00Z' }],
    ['a record without modified', { id: 'X-1' }],
    ['a record whose affected is not a list', { id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: {} }],
  ])('refuses %s', (_name, json) => {
    expect(() => readOsvRecord(json)).toThrow(NotOsvError);
  });

  it('takes Debian\'s "upstream" CVE ids as aliases', () => {
    expect(
      advisory('Debian:12', 'p', events({ introduced: '0' }), { upstream: ['CVE-1'], aliases: ['X'] }).aliases,
    ).toEqual(['X', 'CVE-1']);
  });
});

describe('severity', () => {
  it("prefers a CVSS v3 vector, then the affected entry's word, then the record's, else unknown", () => {
    const vector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
    const withVector = advisory('npm', 'p', events({ introduced: '0' }), {
      severity: [{ type: 'CVSS_V3', score: vector }],
      database_specific: { severity: 'LOW' },
    });
    expect(severityOf(withVector, affectedOf(withVector))).toEqual({
      severity: 'critical',
      cvssScore: 9.8,
      cvssVector: vector,
    });
    const urgency = advisory('Debian:12', 'p', {
      ...events({ introduced: '0' }),
      ecosystem_specific: { urgency: 'high' },
    });
    expect(severityOf(urgency, affectedOf(urgency))).toEqual({ severity: 'high' });
    const none = advisory('Debian:12', 'p', {
      ...events({ introduced: '0' }),
      ecosystem_specific: { urgency: 'not yet assigned' },
    });
    expect(severityOf(none, affectedOf(none))).toEqual({ severity: 'unknown' });
  });
});

describe('findVulnerabilities', () => {
  const layer = `sha256:${'b'.repeat(64)}`;
  const inventory = (distro: Inventory['distro']): Inventory => ({
    packages: [
      {
        ecosystem: 'deb',
        name: 'libfoo1',
        version: '1.0-1+b2',
        sourceName: 'foo',
        sourceVersion: '1.0-1',
        path: 's',
        layer,
        purl: 'p',
      },
    ],
    skipped: [],
    layers: [layer],
    ...(distro && { distro }),
  });
  const foo = advisory('Debian:12', 'foo', events({ introduced: '0' }, { fixed: '1.0-2' }));
  const lookup = async () =>
    new Map([['Debian\nfoo', [foo, { ...foo, id: 'TEST-2', withdrawn: '2024-02-01T00:00:00Z' }]]]);

  it('looks distribution packages up by source name and version, in the image release', async () => {
    const findings = await findVulnerabilities(inventory({ id: 'debian', versionId: '12' }), lookup);
    expect(findings).toEqual([
      expect.objectContaining({
        id: 'TEST-1',
        fixedVersion: '1.0-2',
        package: expect.objectContaining({ sourceName: 'foo' }),
      }),
    ]);
    expect(await findVulnerabilities(inventory({ id: 'debian', versionId: '11' }), lookup)).toEqual([]);
    expect(await findVulnerabilities(inventory(undefined), lookup)).toEqual([]);
  });

  it('compares the source version, not the binary one, when they differ', async () => {
    // Debian's cpp 4:12.2.0-3 is built from gcc-defaults 1.203: only the source version says it is affected.
    const cpp: Inventory = {
      packages: [
        {
          ecosystem: 'deb',
          name: 'cpp',
          version: '4:12.2.0-3',
          sourceName: 'gcc-defaults',
          sourceVersion: '1.203',
          path: 's',
          layer,
          purl: 'p',
        },
      ],
      skipped: [],
      layers: [layer],
      distro: { id: 'debian', versionId: '12' },
    };
    const advisoryOf = (fixed: string) => advisory('Debian:12', 'gcc-defaults', events({ introduced: '0' }, { fixed }));
    const found = (fixed: string) =>
      findVulnerabilities(cpp, async () => new Map([['Debian\ngcc-defaults', [advisoryOf(fixed)]]]));
    expect((await found('1.204')).map((f) => [f.package.name, f.package.version, f.fixedVersion])).toEqual([
      ['cpp', '4:12.2.0-3', '1.204'],
    ]);
    expect(await found('1.203')).toEqual([]);
  });
});
