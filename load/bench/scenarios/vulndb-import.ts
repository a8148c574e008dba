/**
 * @module vulndb-import: `outpost main vulndb import` of an OSV all.zip laid out as OSV publishes it
 * (one record per entry, Debian-shaped: three releases, a versions list each), against `unzip -t`
 * inflating and checking every entry of the same zip: the floor any importer of that file pays.
 * The records are generated (the bench has no internet); the second import of each repetition
 * replaces the first, as the daily import does.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { runCommand } from '../command.js';
import { numberParam, SampleTable, type Scenario } from '../scenario.js';

const UNZIP = { binary: 'unzip', debianPackage: 'unzip' };
const PEERS = ['outpost import', 'unzip -t'];
const ROWS = { seconds: 'import of the zip (s)', rate: 'records per second' };

function record(i: number, packages: number): string {
  const versions = Array.from({ length: 30 }, (_, v) => `1.${v}-${1 + (i % 3)}`);
  return JSON.stringify({
    schema_version: '1.6.0',
    id: `DEBIAN-CVE-2020-${i}`,
    modified: '2026-01-01T00:00:00Z',
    upstream: [`CVE-2020-${i}`],
    details: 'A generated record for the benchmark. '.repeat(10),
    affected: ['11', '12', '13'].map((release) => ({
      package: { ecosystem: `Debian:${release}`, name: `pkg${i % packages}` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.20-1' }] }],
      versions,
      ecosystem_specific: { urgency: 'low' },
    })),
  });
}

export const vulndbImport: Scenario = {
  name: 'vulndb-import',
  title: 'vulnerability database import of an OSV zip (outpost vs unzip -t of the same file)',
  requires: [UNZIP],
  params: {
    records: 'OSV records in the zip (default 20000)',
    packages: 'distinct source packages they affect (default 3000)',
  },

  async run(ctx) {
    const records = numberParam(ctx.params, 'records', 20_000);
    const packages = numberParam(ctx.params, 'packages', 3_000);
    await mkdir(ctx.workDir, { recursive: true });
    const zip = join(ctx.workDir, 'all.zip');
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < records; i++)
      entries[`DEBIAN-CVE-2020-${i}.json`] = new Uint8Array(Buffer.from(record(i, packages)));
    await writeFile(zip, zipSync(entries, { level: 6 }));
    const table = new SampleTable(PEERS);
    table.declare(ROWS.seconds);
    table.declare(ROWS.rate, 'higher');
    const run = { timeoutMs: 30 * 60_000, signal: ctx.signal, cleanup: ctx.cleanup };
    const data = join(ctx.workDir, 'data');
    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const peer of rep % 2 === 0 ? PEERS : [...PEERS].reverse()) {
        ctx.signal.throwIfAborted();
        const started = performance.now();
        if (peer === 'unzip -t') await runCommand('unzip', ['-tq', zip], run);
        else await runCommand(process.execPath, [ctx.outpostBin, 'main', 'vulndb', 'import', zip, '--data', data], run);
        const seconds = (performance.now() - started) / 1000;
        table.record(ROWS.seconds, peer, seconds);
        table.record(ROWS.rate, peer, records / seconds, 'higher');
        ctx.log(`rep ${rep + 1}: ${peer}: ${seconds.toFixed(1)} s`);
      }
    }
    return {
      peers: [...PEERS],
      metrics: table.metrics(),
      params: { records, packages },
      notes: [
        'outpost: the CLI on an embedded (LMDB) data directory, each import replacing the previous one ' +
          '(writing the new generation, switching, deleting the old one); its process start is included.',
        'unzip -t: inflates and CRC-checks every entry, writes nothing.',
      ],
    };
  },
};
