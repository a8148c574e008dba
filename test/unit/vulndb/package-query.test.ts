import { describe, expect, it } from 'vitest';
import { queryFor } from '../../../main/vulndb/package-query.js';
import type { InventoryPackage } from '../../../main/scan/types.js';

const pkg = (fields: Partial<InventoryPackage> & Pick<InventoryPackage, 'ecosystem' | 'name'>): InventoryPackage => ({
  version: '1.0',
  path: 'p',
  layer: 'sha256:x',
  purl: 'pkg:x',
  ...fields,
});

describe('where a package is looked up in OSV', () => {
  it('puts Ubuntu packages in their release, with or without the LTS suffix, and not in Ubuntu Pro', () => {
    const q = queryFor(pkg({ ecosystem: 'deb', name: 'libssl3', sourceName: 'openssl' }), {
      id: 'ubuntu',
      versionId: '22.04',
    });
    expect(q).toMatchObject({ family: 'Ubuntu', name: 'openssl', sourceName: 'openssl' });
    expect(
      ['Ubuntu:22.04', 'Ubuntu:22.04:LTS', 'Ubuntu:Pro:22.04:LTS', 'Ubuntu:20.04'].map((e) => q?.acceptsEcosystem(e)),
    ).toEqual([true, true, false, false]);
  });

  it('takes the Debian major release and the Alpine major.minor from os-release', () => {
    expect(
      queryFor(pkg({ ecosystem: 'deb', name: 'bash' }), { id: 'debian', versionId: '12' })?.acceptsEcosystem(
        'Debian:12',
      ),
    ).toBe(true);
    const apk = queryFor(pkg({ ecosystem: 'apk', name: 'busybox' }), { id: 'alpine', versionId: '3.20.3' });
    expect(apk?.acceptsEcosystem('Alpine:v3.20')).toBe(true);
    expect(queryFor(pkg({ ecosystem: 'deb', name: 'bash' }), { id: 'debian' })).toBeUndefined();
    expect(
      queryFor(pkg({ ecosystem: 'apk', name: 'busybox' }), { id: 'wolfi', versionId: '20230201' }),
    ).toBeUndefined();
  });

  it('joins npm scopes, Go module paths and Maven coordinates as OSV names them', () => {
    expect(queryFor(pkg({ ecosystem: 'npm', namespace: '@hono', name: 'node-server' }), undefined)?.name).toBe(
      '@hono/node-server',
    );
    expect(queryFor(pkg({ ecosystem: 'golang', namespace: 'golang.org/x', name: 'net' }), undefined)?.name).toBe(
      'golang.org/x/net',
    );
    expect(queryFor(pkg({ ecosystem: 'maven', namespace: 'org.slf4j', name: 'slf4j-api' }), undefined)?.name).toBe(
      'org.slf4j:slf4j-api',
    );
    expect(queryFor(pkg({ ecosystem: 'pypi', name: 'Zope.Interface' }), undefined)?.name).toBe('zope-interface');
  });

  it("spells the Go toolchain as Go does, so that OSV's stdlib ranges read it", () => {
    expect(queryFor(pkg({ ecosystem: 'golang', name: 'stdlib', version: 'v1.22.3' }), undefined)?.version).toBe(
      'go1.22.3',
    );
  });
});
