/**
 * `importVulnDb` on the project's backend: bounded entries, single files, and progress. The database in
 * use stays whenever an import is refused.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMainData, type MainData } from '../../main/main-data.js';
import { importVulnDb, type ImportProgress } from '../../main/vulndb/import.js';
import { VulnDbSourceError } from '../../main/vulndb/osv-sources.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { prepareTestBackend, type TestBackend } from '../helpers/test-backend.js';

const OSV = join(import.meta.dirname, '..', 'fixtures', 'osv');
const go = readFileSync(join(OSV, 'go', 'GO-2021-0053.json'));
const maven = readFileSync(join(OSV, 'maven', 'GHSA-838r-hvwh-24h8.json'));

let temp: TempDir;
let backend: TestBackend;
let data: MainData;

beforeAll(async () => {
  temp = await createTempDir('outpost-vulndb-limits-');
  const dataDir = join(temp.path, 'data');
  backend = await prepareTestBackend(dataDir);
  data = await openMainData({ dataDir, ...backend.storage });
});
afterAll(async () => {
  await data?.close();
  await backend.remove();
  await temp.remove();
});

describe('importVulnDb', () => {
  it('imports one .json file, or a JSON list of records, reporting progress', async () => {
    const file = join(temp.path, 'list.json');
    await writeFile(file, JSON.stringify([JSON.parse(go.toString()), JSON.parse(maven.toString())]));
    const seen: ImportProgress[] = [];
    const { status } = await importVulnDb(file, data.metadata.vulndb, { onProgress: (p) => seen.push(p) });
    expect(status).toMatchObject({
      advisoryCount: 2,
      ecosystems: { Go: 1, Maven: 1 },
      newestAdvisoryAt: '2023-02-10T16:51:38Z',
    });
    expect(seen.at(-1)).toEqual({ records: 1, advisories: 2, skipped: 0 });
  });

  it('refuses a zip entry larger than the bound, before reading it, and keeps the database in use', async () => {
    const before = await data.metadata.vulndb.status();
    const zip = join(temp.path, 'big.zip');
    const big = Buffer.from(
      JSON.stringify({ ...JSON.parse(go.toString()), id: 'BIG-1', details: 'x'.repeat(200_000) }),
    );
    // Compresses to about 1 KiB: only the declared size can tell.
    await writeFile(zip, zipSync({ 'GO-2021-0053.json': new Uint8Array(go), 'BIG-1.json': new Uint8Array(big) }));
    const failure = await importVulnDb(zip, data.metadata.vulndb, { maxEntryBytes: 100_000 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(VulnDbSourceError);
    expect(failure).toMatchObject({ problem: 'too-large', message: expect.stringContaining('BIG-1.json is 200') });
    expect(await data.metadata.vulndb.status()).toEqual(before);
    const lookup = await data.metadata.vulndb.lookup([{ family: 'Go', name: 'github.com/gogo/protobuf' }]);
    expect(lookup.generation).toBe(before.generation);
    expect([...lookup.advisories.values()].flat().map((a) => a.id)).toEqual(['GO-2021-0053']);
  });

  it('refuses a source with no records at all', async () => {
    const zip = join(temp.path, 'empty.zip');
    await writeFile(zip, zipSync({ 'README.md': new Uint8Array(Buffer.from('nothing')) }));
    await expect(importVulnDb(zip, data.metadata.vulndb)).rejects.toMatchObject({ problem: 'not-a-source' });
  });

  it('keeps the first copy of an id seen twice and counts the second as skipped', async () => {
    const dir = join(temp.path, 'twice.zip');
    await writeFile(
      dir,
      zipSync({ 'a/GO-2021-0053.json': new Uint8Array(go), 'b/GO-2021-0053.json': new Uint8Array(go) }),
    );
    const { progress, status } = await importVulnDb(dir, data.metadata.vulndb);
    expect(progress).toEqual({ records: 2, advisories: 1, skipped: 1 });
    expect(status.advisoryCount).toBe(1);
  });
});
