/**
 * `outpost main vulndb import|status` and matching against what was imported, on the project's backend
 * (LMDB here; PostgreSQL under services-postgres): real OSV advisories (test/fixtures/osv/, README there)
 * against inventories read from real package databases (test/helpers/real-inventory.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMainData } from '../../main/main-data.js';
import type { Inventory } from '../../main/scan/types.js';
import { createVulnerabilityDatabase } from '../../main/vulndb/database.js';
import type { VulnerabilityReport } from '../../main/vulndb/types.js';
import {
  alpineInventory,
  debianInventory,
  inventoryOf,
  nanoidOfThisProject,
  pipOfDebian12,
} from '../helpers/real-inventory.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { prepareTestBackend, type TestBackend } from '../helpers/test-backend.js';
import { runMainCli } from '../helpers/main-cli.js';

const OSV = join(import.meta.dirname, '..', 'fixtures', 'osv');
const FIXTURES = readdirSync(OSV, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();

let temp: TempDir;
let data: string;
let backend: TestBackend;

beforeAll(async () => {
  temp = await createTempDir('outpost-vulndb-');
  data = join(temp.path, 'data');
  backend = await prepareTestBackend(data);
});
afterAll(async () => {
  await backend.remove();
  await temp.remove();
});

const cli = (args: string[]) => runMainCli(args, data, backend);

/** A zip laid out as OSV's all.zip: one record per entry, at the top level. */
async function writeZip(name: string, entries: Record<string, string | Buffer>): Promise<string> {
  const path = join(temp.path, name);
  const files = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, new Uint8Array(Buffer.from(v))]));
  await writeFile(path, zipSync(files));
  return path;
}

const fixture = (file: string): Buffer => readFileSync(join(OSV, file));
const allFixtures = (): Record<string, Buffer> =>
  Object.fromEntries(FIXTURES.map((f) => [f.split('/').pop() as string, fixture(f)]));

async function match(inventory: Inventory): Promise<VulnerabilityReport> {
  const { metadata, close } = await openMainData({ dataDir: data, ...backend.storage });
  try {
    return await createVulnerabilityDatabase(metadata.vulndb).match(inventory);
  } finally {
    await close();
  }
}

const ids = (report: VulnerabilityReport): string[] => report.findings.map((f) => `${f.id} ${f.package.name}`);

describe('outpost main vulndb import', () => {
  it('reports no database before the first import, and finds nothing', async () => {
    if (backend.kind === 'embedded') {
      // Nothing to show yet: the data directory is made by main's first start or the first import.
      expect(await cli(['vulndb', 'status'])).toMatchObject({
        code: 1,
        err: expect.stringContaining('does not exist'),
      });
    }
    await (await openMainData({ dataDir: data, ...backend.storage })).close();
    const status = await cli(['vulndb', 'status']);
    expect(status).toMatchObject({ code: 0, out: 'no vulnerability database imported yet\n' });
    const report = await match(debianInventory());
    expect(report).toEqual({
      generation: null,
      findings: [],
      counts: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
    });
  });

  it('imports an OSV zip and records the generation, the newest record and the counts per ecosystem', async () => {
    const zip = await writeZip('all.zip', allFixtures());
    const run = await cli(['vulndb', 'import', zip]);
    expect(run.err).toContain(`imported ${FIXTURES.length} advisories`);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`advisories     ${FIXTURES.length}\n`);
    expect(run.out).toContain('newest record  2026-08-21T05:11:31Z');
    const status = await cli(['vulndb', 'status']);
    expect(status.out).toBe(run.out);
    for (const line of [
      'Debian:12            2',
      'Alpine:v3.15         2',
      'npm                  1',
      'Maven                1',
    ]) {
      expect(status.out).toContain(`  ${line}\n`);
    }
  });
});

describe('matching an inventory against the imported advisories', () => {
  it('matches Debian advisories on the source package, and not once the fix is installed', async () => {
    const report = await match(debianInventory());
    // libapparmor1 3.0.8-3 is built from apparmor: CVE-2016-1585 is open in bookworm (urgency unimportant);
    // CVE-2017-6507 was fixed in 2.11.0-3, older than what is installed.
    expect(ids(report)).toEqual(['DEBIAN-CVE-2016-1585 libapparmor1']);
    expect(report.findings[0]).toMatchObject({
      aliases: ['CVE-2016-1585'],
      severity: 'low',
      package: {
        ecosystem: 'deb',
        version: '3.0.8-3',
        sourceName: 'apparmor',
        purl: expect.stringContaining('pkg:deb/debian/libapparmor1@3.0.8-3'),
      },
    });
    expect(report.findings[0]?.fixedVersion).toBeUndefined();
    expect(report.counts).toEqual({ critical: 0, high: 0, medium: 0, low: 1, unknown: 0 });
  });

  it('matches Alpine advisories on the origin, in the image release only', async () => {
    const report = await match(alpineInventory());
    // samba 4.15.7-r0 < 4.15.12-r0 (the v3.15 fix); vim 8.2.4173-r0 is past 8.2.3437-r0.
    expect(ids(report)).toEqual(['ALPINE-CVE-2022-32746 samba-client']);
    expect(report.findings[0]).toMatchObject({
      severity: 'unknown',
      fixedVersion: '4.15.12-r0',
      package: { sourceName: 'samba' },
    });
    // The same packages in Alpine 3.18, whose fix is 4.15.9-r0, are matched with that release's fix.
    const v318 = await match({ ...alpineInventory(), distro: { id: 'alpine', versionId: '3.18.0' } });
    expect(v318.findings.map((f) => f.fixedVersion)).toEqual(['4.15.9-r0']);
    // A release without the advisory's ecosystem gets nothing.
    expect((await match({ ...alpineInventory(), distro: { id: 'alpine', versionId: '3.16.2' } })).findings).toEqual([]);
  });

  it('matches npm packages by semver, reporting the fix of the range that matched', async () => {
    const installed = nanoidOfThisProject();
    expect((await match(inventoryOf([installed]))).findings).toEqual([]);
    const report = await match(
      inventoryOf([
        { ...installed, version: '3.3.7' },
        { ...installed, version: '5.0.8' },
      ]),
    );
    expect(report.findings.map((f) => [f.id, f.package.version, f.fixedVersion, f.severity])).toEqual([
      ['GHSA-mwcw-c2x4-8c55', '3.3.7', '3.3.8', 'medium'],
      ['GHSA-mwcw-c2x4-8c55', '5.0.8', '5.0.9', 'medium'],
    ]);
  });

  it('matches PyPI by PEP 440 and the normalised name, rating by the word when only CVSS v4 is given', async () => {
    const pip = pipOfDebian12();
    const report = await match(inventoryOf([pip, { ...pip, name: 'PIP', version: '23.3' }]));
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      id: 'GHSA-mq26-g339-26xf',
      aliases: ['CVE-2023-5752'],
      severity: 'medium',
      fixedVersion: '23.3',
      package: { ecosystem: 'pypi', name: 'pip', version: '23.0.1' },
    });
    expect(report.findings[0]?.cvssScore).toBeUndefined();
  });

  it('matches Go modules and the standard library across several ranges', async () => {
    const go = (namespace: string | undefined, name: string, version: string) => ({
      ecosystem: 'golang' as const,
      ...(namespace && { namespace }),
      name,
      version,
      path: 'app',
    });
    const report = await match(
      inventoryOf([
        go('github.com/gogo', 'protobuf', 'v1.3.1'),
        go('github.com/gogo', 'protobuf', 'v1.3.2'),
        go(undefined, 'stdlib', 'v1.21.4'),
        go(undefined, 'stdlib', 'v1.20.12'),
      ]),
    );
    expect(report.findings.map((f) => [f.id, f.package.name, f.package.version, f.fixedVersion])).toEqual([
      ['GO-2021-0053', 'github.com/gogo/protobuf', 'v1.3.1', '1.3.2'],
      ['GO-2023-2382', 'stdlib', 'v1.21.4', '1.21.5'],
    ]);
  });

  it('matches Maven group:artifact by Maven ordering and scores the CVSS 3.1 vector', async () => {
    const any23 = (version: string) => ({
      ecosystem: 'maven' as const,
      namespace: 'org.apache.any23',
      name: 'apache-any23',
      version,
      path: 'app.jar',
    });
    const report = await match(inventoryOf([any23('2.4'), any23('2.5'), any23('2.5-RC1')]));
    expect(report.findings.map((f) => [f.package.name, f.package.version, f.severity, f.cvssScore])).toEqual([
      ['org.apache.any23:apache-any23', '2.4', 'critical', 9.1],
      ['org.apache.any23:apache-any23', '2.5-RC1', 'critical', 9.1],
    ]);
    expect(report.counts.critical).toBe(2);
  });
});

describe('replacing the database', () => {
  it('leaves the database in use when an import fails, whatever the failure', async () => {
    const before = await cli(['vulndb', 'status']);
    const corrupt = await writeZip('corrupt.zip', { ...allFixtures(), 'ZZZ-1.json': '{"id": "ZZZ-1", "modified": ' });
    const notOsv = await writeZip('not-osv.zip', { ...allFixtures(), 'x.json': '{"hello": "world"}' });
    await writeFile(join(temp.path, 'garbage.zip'), 'this is not a zip');
    await writeFile(join(temp.path, 'notes.txt'), 'advisories, maybe');
    const cases: [string, string][] = [
      [corrupt, 'ZZZ-1.json is not JSON'],
      [notOsv, 'x.json: not an OSV record: no "id"'],
      [join(temp.path, 'garbage.zip'), 'is not a readable zip file'],
      [join(temp.path, 'absent.zip'), 'no such file or directory'],
      [join(temp.path, 'notes.txt'), 'expected an OSV .zip, a directory of .json files, or a .json file'],
    ];
    for (const [path, message] of cases) {
      const run = await cli(['vulndb', 'import', path]);
      expect(run.code, path).toBe(2);
      expect(run.err, path).toContain(message);
    }
    expect((await cli(['vulndb', 'status'])).out).toBe(before.out);
    expect(ids(await match(debianInventory()))).toEqual(['DEBIAN-CVE-2016-1585 libapparmor1']);
  });

  it('replaces the database with a directory import: the old advisories are gone, withdrawn ones never match', async () => {
    const before = await cli(['vulndb', 'status']);
    const dir = join(temp.path, 'osv-dir');
    await mkdir(join(dir, 'npm', 'deep'), { recursive: true });
    const npm = JSON.parse(fixture('npm/GHSA-mwcw-c2x4-8c55.json').toString());
    const maven = JSON.parse(fixture('maven/GHSA-838r-hvwh-24h8.json').toString());
    await writeFile(join(dir, 'npm', 'deep', 'GHSA-mwcw-c2x4-8c55.json'), JSON.stringify(npm));
    await writeFile(join(dir, 'withdrawn.json'), JSON.stringify({ ...maven, withdrawn: '2024-01-01T00:00:00Z' }));
    await writeFile(join(dir, 'README.txt'), 'not a record');
    const run = await cli(['vulndb', 'import', dir]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('advisories     2\n');
    expect(run.out).not.toContain(before.out.split('\n')[0] as string);
    expect((await match(debianInventory())).findings).toEqual([]);
    const any23 = {
      ecosystem: 'maven' as const,
      namespace: 'org.apache.any23',
      name: 'apache-any23',
      version: '2.4',
      path: 'a.jar',
    };
    expect((await match(inventoryOf([any23]))).findings).toEqual([]);
    const nanoid = { ...nanoidOfThisProject(), version: '3.3.7' };
    const report = await match(inventoryOf([nanoid]));
    expect(ids(report)).toEqual(['GHSA-mwcw-c2x4-8c55 nanoid']);
    expect(report.generation).toBe(/generation\s+(\S+)/.exec(run.out)?.[1]);
  });
});
