/**
 * Issue 9, item 18: data files were world-readable (db/data.mdb holds password and token
 * hashes; blobs hold private images). Every directory of a data directory is 0700 and every
 * file 0600, on main and on the edge; a data directory made wider before is narrowed at start.
 */
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { pushImage } from '../helpers/registry-http.js';
import { signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

/** Every path under `root` (itself included) with its permission bits, in octal. */
async function modesUnder(root: string): Promise<Map<string, { dir: boolean; mode: string }>> {
  const modes = new Map<string, { dir: boolean; mode: string }>();
  const visit = async (path: string) => {
    const info = await stat(path);
    modes.set(path.slice(root.length) || '/', { dir: info.isDirectory(), mode: (info.mode & 0o777).toString(8) });
    if (info.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(root);
  return modes;
}

function expectPrivate(modes: Map<string, { dir: boolean; mode: string }>): void {
  const wider = [...modes].filter(([, m]) => m.mode !== (m.dir ? '700' : '600'));
  expect(wider).toEqual([]);
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('a data directory after a push', () => {
  it('holds only 0700 directories and 0600 files on main (db, keys, blobs, uploads)', async () => {
    const main: TestMain = await startTestMain({ auth: true });
    stops.push(() => main.stop());
    const auth = `Basic ${Buffer.from('admin:admin-test-password').toString('base64')}`;
    const tokenUrl = `${main.url}/auth/token?service=outpost&scope=repository:team/app:pull,push`;
    const token = (await (await fetch(tokenUrl, { headers: { Authorization: auth } })).json()) as { token: string };
    const bearer = { Authorization: `Bearer ${token.token}` };
    const blob = randomBlob(2048);
    const pushUrl = `${main.url}/v2/team/app/blobs/uploads/?digest=${blob.digest}`;
    const res = await fetch(pushUrl, { method: 'POST', body: blob.bytes, headers: bearer });
    expect(res.status).toBe(201);
    const session = await fetch(`${main.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: bearer });
    expect(session.status).toBe(202);

    const modes = await modesUnder(main.dataDir);
    for (const expected of ['/db/data.mdb', '/db/lock.mdb', '/keys', '/blobs', '/uploads', '/tmp', '/trash']) {
      expect([...modes.keys()]).toContain(expected);
    }
    expect([...modes.keys()].some((p) => p.startsWith('/blobs/sha256/') && !modes.get(p)!.dir)).toBe(true);
    expect([...modes.keys()].some((p) => p.startsWith('/uploads/'))).toBe(true);
    expectPrivate(modes);
  });

  it('holds only 0700 directories and 0600 files on the edge after a miss stored a blob', async () => {
    const main = await startTestMain();
    stops.push(() => main.stop());
    const edge: TestEdge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
    stops.push(() => edge.stop());
    const { layers } = await pushImage(main.url, 'team/app', 'v1');
    const layer = layers[0]!;
    const token = await signRedirectToken(main, { repository: 'team/app', digest: layer.digest, audience: ['eu'] });
    const res = await fetch(`${edge.url}/v2/team/app/blobs/${layer.digest}?token=${token}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(layer.bytes))).toBe(true);
    // The client has every byte before the blob is committed to the store: look once it is.
    await edge.service.cache.settled();

    const modes = await modesUnder(edge.dataDir);
    expect([...modes.keys()].some((p) => p.startsWith('/blobs/sha256/') && !modes.get(p)!.dir)).toBe(true);
    expect([...modes.keys()]).toContain('/db/data.mdb');
    expectPrivate(modes);
  });
});

describe('a data directory made readable by others before', () => {
  let temp: TempDir;
  afterEach(async () => {
    await temp.remove();
  });

  it('is narrowed to its owner when main starts, and the start says so in its log', async () => {
    temp = await createTempDir('outpost-wide-');
    for (const dir of ['blobs/sha256/ab', 'uploads', 'db']) await mkdir(join(temp.path, dir), { recursive: true });
    for (const dir of ['', 'blobs', 'blobs/sha256', 'blobs/sha256/ab', 'uploads', 'db']) {
      await chmod(join(temp.path, dir), 0o755);
    }
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => void lines.push(line) });
    const main = await startTestMain({ dataDir: temp.path, logger });
    stops.push(() => main.stop());

    expectPrivate(await modesUnder(temp.path));
    const warning = lines.map((l) => JSON.parse(l) as { msg: string }).find((l) => /readable by others/.test(l.msg));
    expect(warning).toMatchObject({ level: 'warn', directories: 6 });
    await pushImage(main.url, 'team/app', 'v1');
    expectPrivate(await modesUnder(temp.path));
  });
});
