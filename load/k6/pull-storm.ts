/**
 * Pull storm through main with redirects: many virtual users pull a set of images, each signed
 * in as one of USERS (every user with the cache profile the operator gave it on main), the way
 * docker does: a registry token, the manifest, then each blob from main, following main's 307
 * to the user's edge cache.
 *
 *   k6 run -e MAIN_URL=https://registry.example.com -e USERS=alice:pw1,bob:pw2 \
 *          -e IMAGES=team/app:1,team/web:2 -e VUS=50 -e DURATION=5m load/k6/pull-storm.ts
 *
 * Thresholds: no failed request; main's answers (token, manifest, 307) p95 under
 * MAIN_P95_MS; edge blob GETs p95 under EDGE_P95_MS; at least MIN_REDIRECTED of the blob GETs
 * redirected to a cache (0 turns that check off, e.g. for users without a cache profile).
 */
import type { Options } from 'k6/options';
import { sleep } from 'k6';
import { envList, envNumber, envUrl, envUsers, userOf } from './lib/env.ts';
import { pullImage } from './lib/registry.ts';

const MAIN = envUrl('MAIN_URL', 'http://127.0.0.1:5000');
const USERS = envUsers();
const IMAGES = envList('IMAGES');
const VUS = envNumber('VUS', 20);
const MIN_REDIRECTED = envNumber('MIN_REDIRECTED', 0.99);

export const options: Options = {
  scenarios: {
    pull: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP ?? '30s', target: VUS },
        { duration: __ENV.DURATION ?? '2m', target: VUS },
        { duration: '15s', target: 0 },
      ],
      gracefulRampDown: '30s',
    },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    'http_req_duration{hop:main}': [`p(95)<${envNumber('MAIN_P95_MS', 250)}`],
    'http_req_duration{hop:edge}': [`p(95)<${envNumber('EDGE_P95_MS', 5000)}`],
    ...(MIN_REDIRECTED > 0 && { outpost_blob_redirected: [`rate>=${MIN_REDIRECTED}`] }),
  },
};

export default function pullStorm(): void {
  const image = IMAGES[Math.floor(Math.random() * IMAGES.length)]!;
  pullImage(MAIN, userOf(USERS), image);
  sleep(envNumber('THINK_S', 1));
}
