/**
 * `outpost main backup` and `outpost main restore` (main/backup/), as users run them: the built
 * CLI against a real `outpost main` process that keeps serving pushes while it is backed up, and
 * a second main started on the restored data directory. Run `npm run build` first (the test setup
 * does when dist/ is stale).
 */
import { cp, readFile, readdir, stat, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/oci/digest.js';
import { BlobPaths } from '../../src/store/blob-paths.js';
import { randomBlob, sha256 } from '../helpers/oci-fixtures.js';
import { mainCli } from '../../main/cli.js';
import { runOutpost, type CommandResult } from '../helpers/outpost-processes.js';
import { pushImage, type PushedImage } from '../helpers/registry-http.js';
import { spawnMain, type SpawnedMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
// The pushes beside the backup stop when it ends, and after this many in any case.
const MAX_PUSHES_DURING_BACKUP = 400;

let temp: TempDir;
let main: SpawnedMain;
let data: string;
/** Every image pushed, by `repo:tag`. */
const pushed = new Map<string, PushedImage>();

async function push(repo: string, tag: string): Promise<void> {
  const image = await pushImage(main.url, repo, tag, { layers: [randomBlob(48 * 1024), randomBlob(8 * 1024)] });
  pushed.set(`${repo}:${tag}`, image);
}

/** `outpost main ARGS` in this process (the checks that need no process of their own are quicker so). */
async function cli(args: string[]): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    out: (t: string) => void (stdout += t),
    err: (t: string) => void (stderr += t),
    readPassword: async () => '',
  };
  const code = await mainCli(args, {}, io);
  return { code, stdout, stderr };
}
const backup = (to: string, ...args: string[]) => cli(['backup', '--data', data, '--to', to, ...args]);
const restore = (from: string, into: string) => cli(['restore', '--from', from, '--data', into]);
const manifestDigests = async (dir: string) =>
  new Set(
    (JSON.parse(await readFile(join(dir, 'backup.json'), 'utf8')) as { blobs: { digest: string }[] }).blobs.map(
      (b) => b.digest,
    ),
  );
const count = (summary: string, what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(summary)?.[1]);

async function stopMain(spawned: SpawnedMain): Promise<void> {
  spawned.child.kill('SIGTERM');
  await spawned.exited;
}

/** Every tag the main at `url` serves: its manifest and every blob are the bytes pushed under it. */
async function expectServesAsPushed(url: string): Promise<number> {
  const catalog = (await (await fetch(`${url}/v2/_catalog`)).json()) as { repositories: string[] };
  let tags = 0;
  for (const repo of catalog.repositories) {
    const list = (await (await fetch(`${url}/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    for (const tag of list.tags) {
      const image = pushed.get(`${repo}:${tag}`);
      expect(image, `${repo}:${tag} was never pushed`).toBeDefined();
      const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, { headers: { accept: OCI_MANIFEST } });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(image!.manifest.bytes)).toBe(true);
      for (const blob of [image!.manifest.config, ...image!.layers]) {
        const bytes = Buffer.from(await (await fetch(`${url}/v2/${repo}/blobs/${blob.digest}`)).arrayBuffer());
        expect(sha256(bytes)).toBe(blob.digest);
        expect(bytes.equals(blob.bytes)).toBe(true);
      }
      tags++;
    }
  }
  return tags;
}

beforeAll(async () => {
  temp = await createTempDir('outpost-backup-');
  data = join(temp.path, 'data');
  main = await spawnMain(data);
  for (let i = 0; i < 6; i++) await push(`team/app${i % 2}`, `v${i}`);
});

afterAll(async () => {
  await stopMain(main);
  await temp.remove();
});

describe('outpost main backup --to DIR, then restore --from DIR --data DIR2', () => {
  const bk = () => join(temp.path, 'bk');

  it('backs up while pushes run; a main started on the restore serves every tag byte-identical', async () => {
    const before = [...pushed.keys()];
    let running = true;
    let during = 0;
    const pushes = (async () => {
      for (; running && during < MAX_PUSHES_DURING_BACKUP; during++) await push('team/live', `t${during}`);
    })();
    const result = await runOutpost(['main', 'backup', '--data', data, '--to', bk()]);
    running = false;
    await pushes;
    expect(result.code, result.stderr).toBe(0);
    expect(during).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/^backup of .* \d+ blobs .* \d+ copied .* 0 linked, 0 already there/);
    expect(result.stderr).toMatch(/backup: blobs \d+\/\d+, .* MB\/s/);

    const into = join(temp.path, 'restored');
    const restored = await runOutpost(['main', 'restore', '--from', bk(), '--data', into]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^restored \d+ blobs .* all verified/);
    // The same signing keys: tokens and edges that trust them keep working.
    for (const name of await readdir(join(data, 'keys'))) {
      if (name === 'keyring.lock') continue;
      expect((await readFile(join(into, 'keys', name))).equals(await readFile(join(data, 'keys', name)))).toBe(true);
    }
    const copy = await spawnMain(into);
    try {
      const tags = await expectServesAsPushed(copy.url);
      for (const ref of before) {
        const [repo, tag] = ref.split(':');
        const list = (await (await fetch(`${copy.url}/v2/${repo}/tags/list`)).json()) as { tags: string[] };
        expect(list.tags).toContain(tag);
      }
      expect(tags).toBeGreaterThanOrEqual(before.length);
    } finally {
      await stopMain(copy);
    }
  });

  it('backs up again into the same DIR copying only the blobs that are new since the last backup', async () => {
    const earlier = await manifestDigests(bk());
    await push('team/new', 'v1');
    const image = pushed.get('team/new:v1')!;
    const result = await backup(bk(), '--quiet');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const now = await manifestDigests(bk());
    const fresh = [...now].filter((d) => !earlier.has(d));
    // The config (the same bytes in every image of this file) is in the earlier backup already.
    for (const blob of image.layers) expect(fresh).toContain(blob.digest);
    expect(count(result.stdout, 'copied')).toBe(fresh.length);
    expect(count(result.stdout, 'already there')).toBe(now.size - fresh.length);
  });

  it('with --link hard-links the blobs instead of copying them', async () => {
    const to = join(temp.path, 'bk-link');
    const result = await backup(to, '--link', '--quiet');
    expect(result.code, result.stderr).toBe(0);
    expect(count(result.stdout, 'copied')).toBe(0);
    const digest = pushed.get('team/new:v1')!.layers[0]!.digest as Digest;
    const [a, b] = await Promise.all([data, to].map((dir) => stat(new BlobPaths(dir).blob(digest))));
    expect(b!.ino).toBe(a!.ino);
    expect(count(result.stdout, 'linked')).toBe((await manifestDigests(to)).size);
  });

  it('holds the signing keys, private (0600), and the metadata copy (0600)', async () => {
    const keys = await readdir(join(bk(), 'keys'));
    expect(keys).toContain('keyring.json');
    for (const name of [...keys.map((k) => `keys/${k}`), 'db/data.mdb']) {
      expect(((await stat(join(bk(), name))).mode & 0o777).toString(8)).toBe('600');
    }
  });
});

// Independent of each other: run at once (each is a CLI process).
describe.concurrent('outpost main restore refuses', () => {
  const target = (name: string) => join(temp.path, `never-${name}`);
  /** What a restore into `target(name)` left: its directory, or a `.partial-*` beside it. */
  const leftBehind = async (name: string) => (await readdir(temp.path)).filter((n) => n.startsWith(`never-${name}`));
  const brokenCopy = async (name: string) => {
    const dir = join(temp.path, name);
    await cp(join(temp.path, 'bk'), dir, { recursive: true });
    return dir;
  };

  it('a backup with a corrupted blob, naming the blob, and leaves no data directory', async ({ expect }) => {
    const dir = await brokenCopy('bad-blob');
    const layer = pushed.get('team/app0:v0')!.layers[0]!;
    const file = new BlobPaths(dir).blob(layer.digest as Digest);
    const bytes = await readFile(file);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(file, bytes);
    const result = await restore(dir, target('bad-blob'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`is corrupt: blob ${layer.digest} does not match its digest`);
    expect(await leftBehind('bad-blob')).toEqual([]);
  });

  it('a backup whose metadata file does not match its checksum, naming the file', async ({ expect }) => {
    const dir = await brokenCopy('bad-db');
    const file = join(dir, 'db', 'data.mdb');
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(file, bytes);
    const result = await restore(dir, target('bad-db'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is corrupt: db/data.mdb does not match its sha256 in backup.json');
    expect(await leftBehind('bad-db')).toEqual([]);
  });

  it('a partial backup (no backup.json)', async ({ expect }) => {
    const dir = await brokenCopy('partial');
    await rm(join(dir, 'backup.json'));
    const result = await restore(dir, target('partial'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${dir} has no backup.json: it is not a finished backup`);
    expect(await leftBehind('partial')).toEqual([]);
  });

  it('a target data directory that is not empty, and leaves it as it was', async ({ expect }) => {
    const dir = join(temp.path, 'occupied');
    await mkdir(dir);
    await writeFile(join(dir, 'precious'), 'keep me');
    const result = await restore(join(temp.path, 'bk'), dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${dir}: is not empty`);
    expect(await readdir(dir)).toEqual(['precious']);
  });
});

describe.concurrent('outpost main backup refuses', () => {
  it('the PostgreSQL and S3 backends, pointing to pg_dump and the README', async ({ expect }) => {
    const keyFile = join(temp.path, 'kek');
    await writeFile(keyFile, Buffer.alloc(32, 7).toString('base64'), { mode: 0o600 });
    const result = await cli([
      'backup',
      '--to',
      join(temp.path, 'pg-bk'),
      '--database',
      'postgres://u:p@127.0.0.1:1/db',
      '--secret-key-file',
      keyFile,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('use pg_dump');
    expect(result.stderr).toContain('"Backup and restore" in the README');
    const s3 = await backup(
      join(temp.path, 's3-bk'),
      '--blobs',
      's3://bucket/main?endpoint=http://127.0.0.1:1&region=r',
    );
    expect(s3.code).toBe(1);
    expect(s3.stderr).toContain('backs up the embedded store (LMDB and a blob directory) only');
  });

  it('a DIR that holds something else than a backup', async ({ expect }) => {
    const dir = join(temp.path, 'not-a-backup');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const result = await backup(dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is neither empty nor an outpost backup (it holds notes.txt)');
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('a DIR another backup is writing into (its lock file), and leaves the lock alone', async ({ expect }) => {
    const dir = join(temp.path, 'busy');
    await mkdir(dir);
    await writeFile(join(dir, '.backup-lock'), '');
    const result = await backup(dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${dir}: another backup is writing into it (remove .backup-lock if none is)`);
    expect(await readdir(dir)).toContain('.backup-lock');
  });

  it('a referenced blob that is corrupt in the data directory, naming it, and writes no backup.json', async ({
    expect,
  }) => {
    const to = join(temp.path, 'bk-of-corrupt');
    const layer = pushed.get('team/app1:v1')!.layers[1]!;
    const file = new BlobPaths(data).blob(layer.digest as Digest);
    const original = await readFile(file);
    const damaged = Buffer.from(original);
    damaged[0] = damaged[0]! ^ 0xff;
    await writeFile(file, damaged);
    try {
      const result = await backup(to, '--quiet');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`1 blobs that images in ${data} need could not be backed up (1 do not match`);
      expect(result.stderr).toContain(layer.digest);
      expect(await readdir(to)).not.toContain('backup.json');
    } finally {
      await writeFile(file, original);
    }
  });
});
