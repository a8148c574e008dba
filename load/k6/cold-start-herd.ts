/**
 * Cold-start herd on a fresh edge: VUS virtual users pull the same image at the same moment
 * through main (each user's cache profile: the new edge), so every blob is asked for by all of
 * them while it is not cached yet. The edge must fetch each blob from its upstream once, and
 * every client must get whole, correct bodies.
 *
 *   k6 run -e MAIN_URL=https://registry.example.com -e EDGE_URL=https://edge-eu.example.com \
 *          -e USERS=alice:pw1 -e IMAGE=team/app:1 -e VUS=100 load/k6/cold-start-herd.ts
 *
 * Run it right after deploying (or purging) the edge. teardown() reads the edge's /metrics:
 * the test fails when the edge fetched more blobs from upstream than the image has.
 */
import type { Options } from 'k6/options';
import { envNumber, envString, envUrl, envUsers, userOf } from './lib/env.ts';
import {
  blobsOf,
  fetchManifest,
  fetchToken,
  parseImage,
  pullBlob,
  readMetric,
  type Descriptor,
} from './lib/registry.ts';

const MAIN = envUrl('MAIN_URL', 'http://127.0.0.1:5000');
const EDGE = envUrl('EDGE_URL');
const USERS = envUsers();
const IMAGE = envString('IMAGE');
const VUS = envNumber('VUS', 50);
const FETCHES = 'outpost_edge_upstream_fetches_total{outcome="ok"}';

export const options: Options = {
  scenarios: {
    herd: { executor: 'per-vu-iterations', vus: VUS, iterations: 1, maxDuration: __ENV.MAX_DURATION ?? '10m' },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    outpost_blob_redirected: ['rate==1'],
    outpost_blob_pull_time: [`p(95)<${envNumber('PULL_P95_MS', 60_000)}`],
  },
};

interface SetupData {
  blobs: Descriptor[];
  fetchesBefore: number;
}

export function setup(): SetupData {
  const { repo, reference } = parseImage(IMAGE);
  const token = fetchToken(MAIN, USERS[0]!, `repository:${repo}:pull`);
  return { blobs: blobsOf(fetchManifest(MAIN, token, repo, reference)), fetchesBefore: readMetric(EDGE, FETCHES) };
}

export default function herd(data: SetupData): void {
  const { repo } = parseImage(IMAGE);
  const token = fetchToken(MAIN, userOf(USERS), `repository:${repo}:pull`);
  for (const blob of data.blobs) pullBlob(MAIN, token, repo, blob);
}

export function teardown(data: SetupData): void {
  const fetched = readMetric(EDGE, FETCHES) - data.fetchesBefore;
  console.log(`edge upstream fetches during the herd: ${fetched} for ${data.blobs.length} blobs`);
  if (fetched > data.blobs.length)
    throw new Error(
      `the edge fetched ${fetched} blobs from upstream for an image of ${data.blobs.length}: ` +
        `requests were not coalesced (or the edge was not cold)`,
    );
}
