/**
 * The access log of real services (issue 14, "Logs"): one line per request on main and on the
 * edge, with the route template, status, bytes, user and what became of a blob GET; never a
 * password, an Authorization header, a token or a query string.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { edgeBlobUrl, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { basicAuth, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';

const REPO = 'team/app';

let main: TestMain;
let edge: TestEdge;
let blob: Blob;
const output: string[] = [];
const capture = createLogger({ write: (line) => void output.push(line) });
/** The access lines written since `from` (an index into `output`). */
const accessLines = (from: number) =>
  output
    .slice(from)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => record.log === 'access');

beforeAll(async () => {
  main = await startTestMain({
    auth: true,
    logger: capture.child({ service: 'main' }),
    env: { OUTPOST_MAIN_LOG__ACCESS_SAMPLE_RATE: '1' },
  });
  edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    logger: capture.child({ service: 'edge' }),
    env: { OUTPOST_EDGE_LOG__ACCESS_SAMPLE_RATE: '1' },
  });
  blob = randomBlob(2048);
  const admin = { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) };
  const started = await fetch(`${main.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST', headers: admin });
  const location = new URL(started.headers.get('location')!, main.url);
  location.searchParams.set('digest', blob.digest);
  const put = await fetch(location, { method: 'PUT', headers: admin, body: blob.bytes });
  expect(put.status).toBe(201);
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

describe('the access log on main', () => {
  it('logs a signed-in pull of a blob main serves itself, with user and decision, never the password', async () => {
    const from = output.length;
    const res = await fetch(`${main.url}/v2/${REPO}/blobs/${blob.digest}`, {
      headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(accessLines(from)).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'main',
        method: 'GET',
        route: '/v2/{name}/blobs/{digest}',
        status: 200,
        bytes: 2048,
        user: 'admin',
        cacheDecision: 'direct:no-preference',
        durationMs: expect.any(Number),
      }),
    ]);
    const written = output.slice(from).join('');
    expect(written).not.toContain(TEST_ADMIN_PASSWORD);
    expect(written).not.toContain(basicAuth('admin', TEST_ADMIN_PASSWORD).slice('Basic '.length));
  });

  it('logs a refused request with its route and status, and no query string or token from it', async () => {
    const from = output.length;
    const res = await fetch(`${main.url}/v2/${REPO}/tags/list?n=5&token=query-secret`, {
      headers: { Authorization: 'Bearer header-secret-token' },
    });
    expect(res.status).toBe(401);
    expect(accessLines(from)).toEqual([
      expect.objectContaining({ method: 'GET', route: '/v2/{name}/tags/list', status: 401 }),
    ]);
    expect(output.slice(from).join('')).not.toMatch(/query-secret|header-secret-token|n=5/);
  });
});

describe('the access log on the edge', () => {
  it("logs a miss and then a hit of a redirected pull, never the signed URL's token", async () => {
    const token = await signRedirectToken(main, {
      repository: REPO,
      digest: blob.digest,
      audience: ['eu'],
      subject: 'admin',
    });
    const from = output.length;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token));
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      await edge.service.cache.settled();
    }
    const lines = accessLines(from).filter((line) => line.service === 'edge');
    expect(lines.map((line) => [line.route, line.status, line.bytes, line.cacheDecision])).toEqual([
      ['/v2/{name}/blobs/{digest}', 200, 2048, 'miss'],
      ['/v2/{name}/blobs/{digest}', 200, 2048, 'hit'],
    ]);
    const written = output.slice(from).join('');
    expect(written).not.toContain(token);
    expect(written).not.toContain(token.split('.')[2]!);
  });
});
