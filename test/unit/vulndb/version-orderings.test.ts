import { describe, expect, it } from 'vitest';
import { compareApkVersions } from '../../../main/vulndb/versions/apk.js';
import { compareDpkgVersions } from '../../../main/vulndb/versions/dpkg.js';
import { compareMavenVersions } from '../../../main/vulndb/versions/maven.js';
import { comparePep440, normalizePypiName } from '../../../main/vulndb/versions/pep440.js';
import { compareSemver, InvalidVersionError } from '../../../main/vulndb/versions/semver.js';

type Compare = (a: string, b: string) => number;

/** Each list is in ascending order; every pair must compare that way both ways round. */
function expectAscending(compare: Compare, versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      const a = versions[i] as string;
      const b = versions[j] as string;
      expect(Math.sign(compare(a, b)), `${a} < ${b}`).toBe(-1);
      expect(Math.sign(compare(b, a)), `${b} > ${a}`).toBe(1);
    }
  }
}

function expectEqual(compare: Compare, a: string, b: string): void {
  expect(compare(a, b), `${a} == ${b}`).toBe(0);
  expect(compare(b, a), `${b} == ${a}`).toBe(0);
}

describe('dpkg ordering (deb-version(7))', () => {
  it('sorts "~" before everything, even the end of the version', () => {
    expectAscending(compareDpkgVersions, ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a', '1.0+', '1.0.1']);
    // The backport convention of this machine's openssl: 3.0.19-1~deb12u2 is older than 3.0.19-1.
    expectAscending(compareDpkgVersions, ['3.0.11-1~deb12u2', '3.0.19-1~deb12u1', '3.0.19-1~deb12u2', '3.0.19-1']);
  });
  it('lets the epoch outweigh everything else', () => {
    expectAscending(compareDpkgVersions, ['9.9-9', '1:1.2.13.dfsg-1', '1:1.3', '2:0.1']);
    expectEqual(compareDpkgVersions, '0:1.0-1', '1.0-1');
  });
  it('sorts letters before other characters and compares digit runs as numbers', () => {
    expectAscending(compareDpkgVersions, ['1.0a', '1.0+', '1.0.']);
    expectAscending(compareDpkgVersions, ['1.9', '1.10', '1.100']);
    expectEqual(compareDpkgVersions, '1.001', '1.1');
  });
  it('splits the revision at the last hyphen; a missing revision equals "0"', () => {
    expectAscending(compareDpkgVersions, ['2.36-9+deb12u3', '2.36-9+deb12u10', '2.36-9+deb12u14', '2.36-10']);
    expectAscending(compareDpkgVersions, ['1.2-3-1', '1.2-4-1']);
    expectEqual(compareDpkgVersions, '1.0', '1.0-0');
    // A binNMU (+b8) sorts after its source version.
    expectAscending(compareDpkgVersions, ['5.2.15-2', '5.2.15-2+b8', '5.2.15-3']);
  });
});

describe('apk ordering (apk-tools version.c)', () => {
  it('orders suffixes: _alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p', () => {
    expectAscending(compareApkVersions, [
      '1.0_alpha',
      '1.0_alpha2',
      '1.0_beta',
      '1.0_pre1',
      '1.0_rc1',
      '1.0',
      '1.0_cvs',
      '1.0_svn',
      '1.0_git20230717',
      '1.0_hg',
      '1.0_p1',
      '1.0_p2',
    ]);
  });
  it('compares numbers numerically, more components later, a letter after none', () => {
    expectAscending(compareApkVersions, ['1.2', '1.2.0', '1.2.1', '1.2.9', '1.2.10', '1.10']);
    expectAscending(compareApkVersions, ['1.1.1k', '1.1.1l', '1.1.2']);
    expectAscending(compareApkVersions, ['1.2', '1.2a', '1.2b', '1.3']);
  });
  it('compares a later component with a leading zero as a fraction', () => {
    expectAscending(compareApkVersions, ['1.01', '1.09', '1.1', '1.9']);
  });
  it('compares -rN last, a missing revision as r0', () => {
    expectAscending(compareApkVersions, ['1.2.4_git20230717-r4', '1.2.4_git20230717-r5', '1.2.4_git20230717-r10']);
    expectAscending(compareApkVersions, ['1.36.1', '1.36.1-r1', '1.36.1-r30', '1.36.2-r0']);
    expectEqual(compareApkVersions, '2.1', '2.1-r0');
  });
});

describe('semver ordering (npm, Go)', () => {
  it('orders prereleases before the release, numerically by identifier', () => {
    expectAscending(compareSemver, [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
    ]);
    expectAscending(compareSemver, ['1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0']);
  });
  it('reads Go versions: the "v" prefix, +incompatible, pseudo-versions and the toolchain', () => {
    expectEqual(compareSemver, 'v2.0.0+incompatible', '2.0.0');
    expectAscending(compareSemver, [
      'v0.0.0-20210101000000-abcdef123456',
      'v0.0.0-20220101000000-abcdef123456',
      '0.0.1',
    ]);
    expectAscending(compareSemver, ['v1.2.3', 'v1.2.4-0.20230101000000-abcdef123456', 'v1.2.4']);
    expectAscending(compareSemver, ['go1.21rc2', 'go1.21', '1.21.1', 'go1.21.3', 'go1.22']);
  });
  it('refuses a string that is not a version', () => {
    expect(() => compareSemver('1.0', 'banana')).toThrow(InvalidVersionError);
  });
});

describe('PEP 440 ordering (PyPI)', () => {
  it('orders dev < pre < final < post, dev releases of pre and post before them', () => {
    expectAscending(comparePep440, [
      '1.0.dev0',
      '1.0.dev1',
      '1.0a1.dev1',
      '1.0a1',
      '1.0b1',
      '1.0rc1',
      '1.0',
      '1.0.post1.dev1',
      '1.0.post1',
      '1.1.dev1',
    ]);
  });
  it('applies the epoch first and ignores trailing zeros of the release', () => {
    expectAscending(comparePep440, ['2024.1', '1!0.1', '1!1.0']);
    expectEqual(comparePep440, '1.0', '1.0.0');
  });
  it('accepts the permitted spellings: alpha, c, rev, "-1" as post, a "v", case', () => {
    expectEqual(comparePep440, '1.0alpha1', '1.0a1');
    expectEqual(comparePep440, '1.0c1', '1.0rc1');
    expectEqual(comparePep440, '1.0-1', '1.0.post1');
    expectEqual(comparePep440, '1.0rev1', '1.0.post1');
    expectEqual(comparePep440, 'V1.0-RC-2', '1.0rc2');
  });
  it('sorts a local version after its public version, numeric segments after text', () => {
    expectAscending(comparePep440, ['1.0', '1.0+abc', '1.0+abc.5', '1.0+1', '1.0+2', '1.1']);
  });
  it('normalises project names as PEP 503 does', () => {
    expect(normalizePypiName('Jinja2')).toBe('jinja2');
    expect(normalizePypiName('zope.interface__x--y')).toBe('zope-interface-x-y');
  });
  it('refuses a string PEP 440 does not allow', () => {
    expect(() => comparePep440('1.0', 'not a version')).toThrow(InvalidVersionError);
  });
});

describe('Maven ordering (ComparableVersion)', () => {
  it('orders qualifiers alpha < beta < milestone < rc = cr < snapshot < release < sp', () => {
    expectAscending(compareMavenVersions, [
      '1.0-alpha-1',
      '1.0-beta-1',
      '1.0-milestone-1',
      '1.0-rc-1',
      '1.0-SNAPSHOT',
      '1.0',
      '1.0-sp-1',
      '1.0.1',
    ]);
    expectEqual(compareMavenVersions, '1.0-rc-1', '1.0-cr-1');
  });
  it('treats 0, ga, final and release as nothing, and a1/b1/m1 as alpha-1/beta-1/milestone-1', () => {
    expectEqual(compareMavenVersions, '1.0', '1');
    expectEqual(compareMavenVersions, '1.0.0', '1-ga');
    expectEqual(compareMavenVersions, '1.FINAL', '1');
    expectEqual(compareMavenVersions, '1.0.RELEASE', '1');
    expectEqual(compareMavenVersions, '1a1', '1-alpha-1');
    expectEqual(compareMavenVersions, '1m3', '1-milestone-3');
  });
  it('compares numbers numerically and puts unknown qualifiers after sp', () => {
    expectAscending(compareMavenVersions, ['2.9', '2.10', '2.17.0', '2.17.1']);
    expectAscending(compareMavenVersions, ['1-sp', '1-abc', '1-xyz']);
    expectAscending(compareMavenVersions, ['2.15.0-rc1', '2.15.0-rc2', '2.15.0']);
  });
});
