/**
 * Mixed load: pulls through main's redirects (a constant number of virtual users) while pushes
 * arrive at a steady rate, as on a busy day. Parameters as pull-storm.ts and steady-push.ts:
 *
 *   k6 run -e MAIN_URL=... -e USERS=alice:pw1,bob:pw2 -e IMAGES=team/app:1 \
 *          -e PUSH_USERS=ci:pw -e REPO=loadtest/push -e PULL_VUS=30 -e PUSH_RATE=1 \
 *          -e DURATION=5m load/k6/mixed.ts
 */
import type { Options } from 'k6/options';
import { sleep } from 'k6';
import { envList, envNumber, envString, envUrl, envUsers, userOf } from './lib/env.ts';
import { pullImage } from './lib/registry.ts';
import { pushImage } from './lib/push.ts';

const MAIN = envUrl('MAIN_URL', 'http://127.0.0.1:5000');
const USERS = envUsers();
const PUSH_USERS = envUsers(__ENV.PUSH_USERS ? 'PUSH_USERS' : 'USERS');
const IMAGES = envList('IMAGES');
const REPO = envString('REPO', 'loadtest/push');
const DURATION = __ENV.DURATION ?? '2m';

export const options: Options = {
  scenarios: {
    pull: { executor: 'constant-vus', vus: envNumber('PULL_VUS', 20), duration: DURATION, exec: 'pull' },
    push: {
      executor: 'constant-arrival-rate',
      rate: envNumber('PUSH_RATE', 1),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 5,
      maxVUs: envNumber('PUSH_MAX_VUS', 20),
      exec: 'push',
    },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    'http_req_duration{hop:main,kind:blob}': [`p(95)<${envNumber('REDIRECT_P95_MS', 250)}`],
    'http_req_duration{hop:edge}': [`p(95)<${envNumber('EDGE_P95_MS', 5000)}`],
    'http_req_duration{kind:upload}': [`p(95)<${envNumber('UPLOAD_P95_MS', 2000)}`],
    outpost_blob_redirected: [`rate>=${envNumber('MIN_REDIRECTED', 0.99)}`],
  },
};

export function pull(): void {
  pullImage(MAIN, userOf(USERS), IMAGES[Math.floor(Math.random() * IMAGES.length)]!);
  sleep(envNumber('THINK_S', 1));
}

export function push(): void {
  pushImage(MAIN, userOf(PUSH_USERS), REPO, envNumber('PUSH_KIB', 256));
}
