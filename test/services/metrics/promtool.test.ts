/**
 * `promtool check metrics` (Debian's prometheus package, installed by .ci/run) on what main and
 * an edge expose at /metrics after a push and a pull through the edge: names, units, suffixes
 * and help text follow Prometheus' conventions, with no lint problem on either service.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeBlobUrl, signRedirectToken, startTestEdge, type TestEdge } from '../../helpers/edge.js';
import { pushBlob, randomBlob } from '../../helpers/registry-http.js';
import { startTestMain, type TestMain } from '../../helpers/servers.js';

const REPO = 'team/app';

let main: TestMain;
let edge: TestEdge;

/** promtool's exit code and what it printed, given `text` on stdin. */
async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(text);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code: code ?? -1, output };
}

beforeAll(async () => {
  main = await startTestMain();
  edge = await startTestEdge({ name: 'sg', upstream: main.url, issuer: main.url });
  // Every family gets samples: a push, a miss and a hit through the edge, and a refusal.
  const blob = randomBlob(4096);
  await pushBlob(main.url, REPO, blob);
  const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['sg'] });
  for (let i = 0; i < 2; i++) {
    const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token));
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  expect((await fetch(`${edge.url}/v2/${REPO}/blobs/${blob.digest}`)).status).toBe(401);
});

afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

describe('promtool check metrics', () => {
  it.each([
    ['main', () => main.url],
    ['the edge', () => edge.url],
  ])('finds no problem in the metrics of %s', async (_, url) => {
    const text = await (await fetch(`${url()}/metrics`)).text();
    expect(text).toContain('outpost_build_info{');
    expect(text).toContain('process_cpu_seconds_total');
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' });
  });

  it('fails on a metric that breaks the conventions (the check can fail)', async () => {
    const bad =
      '# HELP outpost_bad_bytes A counter without _total\n# TYPE outpost_bad_bytes counter\noutpost_bad_bytes 1\n';
    const { code, output } = await promtoolCheck(bad);
    expect(code).not.toBe(0);
    expect(output).toContain('outpost_bad_bytes');
  });
});
