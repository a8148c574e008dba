/**
 * Steady push: a constant rate of image pushes to main, each a fresh random layer (PUSH_KIB)
 * and config, uploaded as docker does (token, POST + PUT ?digest=, manifest PUT by tag).
 *
 *   k6 run -e MAIN_URL=https://registry.example.com -e USERS=ci:pw -e REPO=loadtest/push \
 *          -e RATE=5 -e DURATION=5m -e PUSH_KIB=1024 load/k6/steady-push.ts
 *
 * The user needs push on REPO. Every push leaves a tag and blobs behind: use a repository
 * meant for it and garbage-collect after (`outpost main gc`).
 */
import type { Options } from 'k6/options';
import { envNumber, envString, envUrl, envUsers, userOf } from './lib/env.ts';
import { pushImage } from './lib/push.ts';

const MAIN = envUrl('MAIN_URL', 'http://127.0.0.1:5000');
const USERS = envUsers();
const REPO = envString('REPO', 'loadtest/push');

export const options: Options = {
  scenarios: {
    push: {
      executor: 'constant-arrival-rate',
      rate: envNumber('RATE', 2),
      timeUnit: '1s',
      duration: __ENV.DURATION ?? '2m',
      preAllocatedVUs: envNumber('VUS', 10),
      maxVUs: envNumber('MAX_VUS', 50),
    },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    'http_req_duration{kind:upload}': [`p(95)<${envNumber('UPLOAD_P95_MS', 2000)}`],
    'http_req_duration{kind:manifest}': [`p(95)<${envNumber('MANIFEST_P95_MS', 500)}`],
    dropped_iterations: ['count==0'],
  },
};

export default function steadyPush(): void {
  pushImage(MAIN, userOf(USERS), REPO, envNumber('PUSH_KIB', 256));
}
