// SBOM rendering checked against the required fields of CycloneDX 1.5 (bom-1.5.schema.json) and SPDX 2.3
// (spdx-schema.json v2.3), on the inventory of a layer holding this project's own package-lock.json, whose
// versions are checked against the installed node_modules.
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanImage } from '../../../main/scan/scan-image.js';
import { toCycloneDx } from '../../../main/scan/sbom-cyclonedx.js';
import { toSpdx } from '../../../main/scan/sbom-spdx.js';
import type { Inventory } from '../../../main/scan/types.js';
import { compressedLayer } from '../../helpers/layer-tar.js';

const subject = {
  name: 'library/outpost',
  digest: `sha256:${'ab'.repeat(32)}`,
  createdAt: new Date('2026-12-01T03:50:00.123Z'),
  tool: 'outpost-0.1.0',
};
// Debian 12's /etc/os-release, written here so the test does not depend on the machine's distribution.
const DEBIAN_OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n' +
  'VERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n';
let inventory: Inventory;

beforeAll(async () => {
  const layer = await compressedLayer(
    [
      { path: 'etc/os-release', content: DEBIAN_OS_RELEASE },
      { path: 'srv/outpost/package-lock.json', content: readFileSync('package-lock.json') },
    ],
    'gzip',
  );
  inventory = await scanImage([layer]);
});

describe('package-lock.json of this project', () => {
  it('gives the versions installed in node_modules', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { link?: boolean }>;
    };
    const installed = Object.keys(lock.packages).filter(
      (k) => k.startsWith('node_modules/') && !lock.packages[k]?.link && existsSync(`${k}/package.json`),
    );
    expect(installed.length).toBeGreaterThan(100);
    const versions = new Set(
      inventory.packages.map((p) => `${p.namespace ? `${p.namespace}/` : ''}${p.name}@${p.version}`),
    );
    for (const k of installed) {
      const pkg = JSON.parse(readFileSync(`${k}/package.json`, 'utf8')) as { name: string; version: string };
      expect(versions.has(`${pkg.name}@${pkg.version}`), `${k}`).toBe(true);
    }
  });
});

describe('toCycloneDx', () => {
  it('writes the fields CycloneDX 1.5 requires, one library component per package plus the OS', () => {
    const bom = toCycloneDx(inventory, subject) as {
      bomFormat: string;
      specVersion: string;
      serialNumber: string;
      version: number;
      metadata: { timestamp: string; component: { type: string; name: string } };
      components: { type: string; name: string; purl?: string; 'bom-ref': string; properties?: unknown[] }[];
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.5');
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(bom.version).toBe(1);
    expect(bom.metadata.timestamp).toBe('2026-12-01T03:50:00Z');
    expect(bom.metadata.component).toMatchObject({ type: 'container', name: 'library/outpost' });
    expect(bom.components[0]).toMatchObject({ type: 'operating-system', name: 'debian' });
    const libraries = bom.components.filter((c) => c.type === 'library');
    expect(libraries.map((c) => c.purl)).toEqual(inventory.packages.map((p) => p.purl));
    for (const c of bom.components) expect(c.name).not.toBe('');
    expect(new Set(bom.components.map((c) => c['bom-ref'])).size).toBe(bom.components.length);
    expect(libraries[0]?.properties).toContainEqual({ name: 'outpost:layer', value: inventory.layers[0] });
  });

  it('is a pure function of its inputs', () => {
    expect(toCycloneDx(inventory, subject)).toEqual(toCycloneDx(inventory, subject));
    expect(toCycloneDx(inventory, { ...subject, digest: `sha256:${'cd'.repeat(32)}` }).serialNumber).not.toBe(
      toCycloneDx(inventory, subject).serialNumber,
    );
  });
});

describe('toSpdx', () => {
  const doc = () =>
    toSpdx(inventory, subject, { namespaceBase: 'https://registry.example/spdx/' }) as {
      spdxVersion: string;
      dataLicense: string;
      SPDXID: string;
      name: string;
      documentNamespace: string;
      creationInfo: { created: string; creators: string[] };
      packages: {
        SPDXID: string;
        name: string;
        downloadLocation: string;
        filesAnalyzed: boolean;
        externalRefs?: unknown[];
      }[];
      relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
    };

  it('writes the document fields SPDX 2.3 requires', () => {
    const d = doc();
    expect(d.spdxVersion).toBe('SPDX-2.3');
    expect(d.dataLicense).toBe('CC0-1.0');
    expect(d.SPDXID).toBe('SPDXRef-DOCUMENT');
    expect(d.name).toBe(`library/outpost@${subject.digest}`);
    expect(d.documentNamespace).toMatch(/^https:\/\/registry\.example\/spdx\/library%2Foutpost-[0-9a-f-]{36}$/);
    expect(d.creationInfo).toEqual({ created: '2026-12-01T03:50:00Z', creators: ['Tool: outpost-0.1.0'] });
  });

  it('writes each package with SPDXID, name, downloadLocation and its purl, contained by the image', () => {
    const d = doc();
    const ids = new Set(d.packages.map((p) => p.SPDXID));
    expect(ids.size).toBe(d.packages.length);
    for (const p of d.packages) {
      expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
      expect(p.name).not.toBe('');
      expect(p.downloadLocation).toBe('NOASSERTION');
      expect(p.filesAnalyzed).toBe(false);
    }
    expect(d.packages.slice(1).map((p) => p.externalRefs)).toEqual(
      inventory.packages.map((p) => [
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl },
      ]),
    );
    expect(d.relationships[0]).toEqual({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: 'SPDXRef-Image',
    });
    for (const r of d.relationships) {
      expect(r.spdxElementId === 'SPDXRef-DOCUMENT' || ids.has(r.spdxElementId)).toBe(true);
      expect(ids.has(r.relatedSpdxElement)).toBe(true);
    }
    expect(d.relationships.filter((r) => r.relationshipType === 'CONTAINS')).toHaveLength(inventory.packages.length);
  });
});
