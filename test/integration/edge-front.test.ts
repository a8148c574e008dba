/**
 * The edge's side of front mode (edge/front.ts), without nginx: what the edge answers when it is
 * configured with `front: nginx`, and that nothing in a request turns it on otherwise. The same
 * edge behind real nginx is in test/services/edge/nginx-front.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { loadEdgeConfig } from '../../edge/config.js';
import { edgeBlobUrl, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';

const MiB = 1 << 20;
const REPO = 'team/app';

let main: TestMain;
let front: TestEdge;
let plain: TestEdge;
beforeAll(async () => {
  main = await startTestMain();
  [front, plain] = await Promise.all([
    startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, flags: { front: 'nginx' } }),
    startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url }),
  ]);
});
afterAll(async () => {
  await Promise.all([front?.stop(), plain?.stop()]);
  await main?.stop();
});

async function pushed(size: number): Promise<Blob> {
  const blob = randomBlob(size);
  await pushBlob(main.url, REPO, blob);
  return blob;
}

async function urlOn(edge: TestEdge, blob: Blob): Promise<string> {
  const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
  return edgeBlobUrl(edge.url, REPO, blob.digest, token);
}

const storePath = (blob: Blob) => {
  const hex = blob.digest.slice('sha256:'.length);
  return `/_outpost_blobs/sha256/${hex.slice(0, 2)}/${hex}`;
};

describe('an edge configured with front: nginx', () => {
  // 100 B: a memory hit, the second one on the fast path; 3 MiB: a hit from disk.
  for (const size of [100, 3 * MiB]) {
    it(`sends a ${size}-byte miss itself, then answers each hit with X-Accel-Redirect and no body`, async () => {
      const blob = await pushed(size);
      const url = await urlOn(front, blob);
      const miss = await fetch(url);
      expect(miss.status).toBe(200);
      expect(miss.headers.get('x-accel-redirect')).toBeNull();
      expect(Buffer.from(await miss.arrayBuffer()).equals(blob.bytes)).toBe(true);
      // The miss is committed to the store after its last byte was sent.
      await front.service.cache.settled();

      const handOffs = await readMetric(front.url, 'outpost_edge_front_handoffs_total');
      for (let i = 0; i < 2; i++) {
        const hit = await fetch(url);
        expect(hit.status).toBe(200);
        expect(hit.headers.get('x-accel-redirect')).toBe(storePath(blob));
        expect(hit.headers.get('content-length')).toBe('0');
        expect(hit.headers.get('content-type')).toBe('application/octet-stream');
        expect(hit.headers.get('docker-content-digest')).toBe(blob.digest);
        expect(hit.headers.get('etag')).toBe(`"${blob.digest}"`);
        expect(hit.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
        // nginx adds its own for the file it sends: one from the edge would make two.
        expect(hit.headers.get('accept-ranges')).toBeNull();
        expect((await hit.arrayBuffer()).byteLength).toBe(0);
      }
      expect(await readMetric(front.url, 'outpost_edge_front_handoffs_total')).toBe(handOffs + 2);
    });
  }

  it('hands off a hit asked with a Range (nginx answers it) but answers an unsatisfiable one itself', async () => {
    const blob = await pushed(3 * MiB);
    const url = await urlOn(front, blob);
    await (await fetch(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent.
    await front.service.cache.settled();
    const partial = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(partial.status).toBe(200);
    expect(partial.headers.get('x-accel-redirect')).toBe(storePath(blob));
    expect((await partial.arrayBuffer()).byteLength).toBe(0);
    const beyond = await fetch(url, { headers: { range: `bytes=${blob.size}-` } });
    expect(beyond.headers.get('x-accel-redirect')).toBeNull();
    await expectOciError(beyond, 416, 'RANGE_INVALID');
  });

  it('sends a hit itself when nginx says the file it was handed was missing', async () => {
    for (const size of [100, 3 * MiB]) {
      const blob = await pushed(size);
      const url = await urlOn(front, blob);
      for (let i = 0; i < 2; i++) await (await fetch(url)).arrayBuffer();
      // The miss is committed to the store after its last byte was sent.
      await front.service.cache.settled();
      const again = await fetch(url, { headers: { 'x-outpost-front-missed': '1' } });
      expect(again.status).toBe(200);
      expect(again.headers.get('x-accel-redirect')).toBeNull();
      expect(again.headers.get('content-length')).toBe(String(size));
      expect(Buffer.from(await again.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
  });

  it('answers HEAD and refusals itself, never with X-Accel-Redirect', async () => {
    const blob = await pushed(3 * MiB);
    const url = await urlOn(front, blob);
    await (await fetch(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent.
    await front.service.cache.settled();
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(blob.size));
    expect(head.headers.get('x-accel-redirect')).toBeNull();
    const refused = await fetch(`${front.url}/v2/${REPO}/blobs/${blob.digest}?token=forged`);
    expect(refused.headers.get('x-accel-redirect')).toBeNull();
    await expectOciError(refused, 401, 'UNAUTHORIZED');
  });
});

describe('an edge without front mode', () => {
  it('sends hits itself whatever the request says', async () => {
    const blob = await pushed(3 * MiB);
    const url = await urlOn(plain, blob);
    await (await fetch(url)).arrayBuffer();
    // The miss is committed to the store after its last byte was sent.
    await front.service.cache.settled();
    const headers = { 'x-accel-redirect': storePath(blob), 'x-outpost-front': 'nginx', 'x-forwarded-for': '10.0.0.1' };
    for (const target of [url, `${url}&front=nginx`]) {
      const hit = await fetch(target, { headers });
      expect(hit.headers.get('x-accel-redirect')).toBeNull();
      expect(Buffer.from(await hit.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
    expect(await readMetric(plain.url, 'outpost_edge_front_handoffs_total')).toBe(0);
  });
});

describe('the front setting', () => {
  it('refuses at start a front server the edge does not know, naming the setting', () => {
    const flags = { name: 'eu', upstream: main.url, listen: '127.0.0.1:0' };
    expect(() => loadEdgeConfig({ ...flags, front: 'apache' }, {})).toThrow(ConfigError);
    expect(() => loadEdgeConfig({ ...flags, front: 'apache' }, {})).toThrow(/--front: .*"none"\|"nginx"/);
    expect(() => loadEdgeConfig(flags, { OUTPOST_EDGE_FRONT: 'apache' })).toThrow(/OUTPOST_EDGE_FRONT: /);
    expect(loadEdgeConfig(flags, { OUTPOST_EDGE_FRONT: 'nginx' }).front).toBe('nginx');
    expect(loadEdgeConfig(flags, {}).front).toBe('none');
  });
});
