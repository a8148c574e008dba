/**
 * What `outpost main migrate` refuses and reports: a target database that holds another
 * installation or another installation's migration, bad usage, a data directory without an
 * installation, and a source blob whose bytes no longer match its digest (reported, not
 * copied, while the others are). A finished migration run again changes nothing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, pushImageAs, type PushedAs } from '../../helpers/auth-http.js';
import { MIGRATE_ADMIN_PASSWORD, migrate, startMainProcess, writeKek } from '../../helpers/migrate-fixtures.js';
import { runOutpost } from '../../helpers/outpost-processes.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

const ADMIN = basicAuth('admin', MIGRATE_ADMIN_PASSWORD);

let postgres: TestPostgres;
let work: string;
let kek: string;

/** An embedded installation with one image pushed, stopped; returns its data directory and image. */
async function installation(name: string): Promise<{ dataDir: string; image: PushedAs }> {
  const dataDir = join(work, name);
  const main = await startMainProcess(dataDir);
  try {
    return { dataDir, image: await pushImageAs(main.url, 'admin/app', 'v1', ADMIN) };
  } finally {
    await main.stop();
  }
}

/** Where the file system store keeps a blob (src/store/blob-paths.ts). */
const blobFile = (root: string, digest: string) => {
  const hex = digest.slice('sha256:'.length);
  return join(root, 'blobs', 'sha256', hex.slice(0, 2), hex);
};

beforeAll(async () => {
  postgres = await startPostgres();
  work = await mkdtemp(join(tmpdir(), 'outpost-migrate-refusals-'));
  kek = await writeKek(work);
});

afterAll(async () => {
  await postgres?.remove();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('outpost main migrate refuses', () => {
  it('a target database that already holds an installation, on every attempt', async () => {
    const { dataDir } = await installation('source-a');
    const toDatabase = await postgres.createDatabase();
    const added = await runOutpost(
      ['main', 'user', 'add', 'bob', '--password-stdin', '--data', join(work, 'other')].concat([
        '--database',
        toDatabase,
        '--secret-key-file',
        kek,
      ]),
      'bob-password-1\n',
    );
    expect(added.code, added.stderr).toBe(0);
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = await migrate({ args: [], dataDir, toDatabase, secretKeyFile: kek });
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/^outpost main migrate: the target database already holds an installation/m);
      expect(run.out).toBe('');
    }
  });

  it("a target database holding another installation's migration", async () => {
    const toDatabase = await postgres.createDatabase();
    const first = await installation('source-b');
    expect((await migrate({ args: [], dataDir: first.dataDir, toDatabase, secretKeyFile: kek })).code).toBe(0);
    const second = await installation('source-c');
    const run = await migrate({ args: [], dataDir: second.dataDir, toDatabase, secretKeyFile: kek });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/already holds a migration of another installation/);
  });

  it('a second run while one is copying into the same database, which the first then finishes', async () => {
    const { dataDir } = await installation('source-twice');
    const toDatabase = await postgres.createDatabase();
    const command = { args: [], dataDir, toDatabase, secretKeyFile: kek };
    let second: Awaited<ReturnType<typeof migrate>> | undefined;
    const first = await migrate({
      ...command,
      // The first run waits, mid-copy and holding the target, until the second has been answered.
      beforeBatch: async (step, batch) => {
        if (step !== 'manifests' || batch !== 0) return;
        second = await migrate(command);
      },
    });
    expect(second?.code).toBe(1);
    expect(second?.err).toMatch(/^outpost main migrate: another outpost main migrate is writing to the target/m);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^metadata: \d+ records in 22 tables, verified$/m);
  });

  it('a command without --to-database (2), and a data directory without an installation (1)', async () => {
    const usage = await migrate({ args: [], dataDir: join(work, 'source-a'), secretKeyFile: kek });
    expect(usage).toMatchObject({ code: 2, err: 'outpost main migrate: --to-database URL is required\n' });
    const toDatabase = await postgres.createDatabase();
    const empty = await migrate({ args: [], dataDir: join(work, 'nothing'), toDatabase, secretKeyFile: kek });
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/no embedded installation in .*nothing/);
  });

  it('bad usage through the real command line: migrate with --database, --to-database elsewhere', async () => {
    const withDatabase = await runOutpost(['main', 'migrate', '--database', 'postgres://127.0.0.1/x']);
    expect(withDatabase.code).toBe(2);
    expect(withDatabase.stderr).toMatch(/the target is --to-database/);
    const elsewhere = await runOutpost(['main', 'gc', '--to-database', 'postgres://127.0.0.1/x']);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/only apply to migrate/);
  });
});

describe('outpost main migrate copies blobs verified', () => {
  it('reports a corrupt source blob and leaves it behind, copies the others; a re-run adds nothing', async () => {
    const { dataDir, image } = await installation('source-corrupt');
    const corrupt = blobFile(dataDir, image.layer.digest);
    const bytes = await readFile(corrupt);
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(corrupt, bytes);
    const toDatabase = await postgres.createDatabase();
    const toBlobs = join(work, 'corrupt-target');
    const command = { args: [], dataDir, toDatabase, toBlobs, secretKeyFile: kek };

    const run = await migrate(command);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^blobs: 1 copied \(.+\), 0 already there, 1 corrupt$/m);
    expect(run.err).toContain(`outpost main migrate: corrupt blob not copied: ${image.layer.digest}\n`);
    expect(existsSync(blobFile(toBlobs, image.layer.digest))).toBe(false);
    expect(await readFile(blobFile(toBlobs, image.manifest.config.digest))).toEqual(
      Buffer.from(image.manifest.config.bytes),
    );

    const again = await migrate(command);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/^metadata: \d+ records in 22 tables, verified \(resumed\)$/m);
    expect(again.out).toMatch(/^blobs: 0 copied \(0 B\), 1 already there, 1 corrupt$/m);
  });
});
