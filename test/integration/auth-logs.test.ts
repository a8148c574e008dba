/**
 * No password or token reaches a log line (DESIGN.md section 4): main runs with a logger that
 * captures every line at debug level while clients sign in, fetch and use tokens, fail, get
 * throttled and create accounts; then every secret that went over the wire is looked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import {
  basicAuth,
  bearer,
  getToken,
  postToken,
  pushImageAs,
  TEST_ADMIN_PASSWORD,
  type TokenBody,
} from '../helpers/auth-http.js';

let main: TestMain;
let stopped = false;
const lines: string[] = [];
const secrets = new Set<string>();

const remember = (...values: Array<string | undefined>) => {
  for (const v of values) if (v) secrets.add(v);
};
const basic = (user: string, password: string) => {
  const header = basicAuth(user, password);
  remember(password, header.slice('Basic '.length));
  return header;
};

beforeAll(async () => {
  main = await startTestMain({
    auth: true,
    logger: createLogger({ level: 'debug', write: (line) => void lines.push(line) }),
  });
  remember(TEST_ADMIN_PASSWORD);
  await main.service.accounts.createUser({ name: 'alice', password: 'alice-secret-pw' });
  const alice = basic('alice', 'alice-secret-pw');
  const admin = basic('admin', TEST_ADMIN_PASSWORD);

  // Basic straight to /v2, right and wrong.
  const image = await pushImageAs(main.url, 'alice/app', 'v1', alice);
  await fetch(`${main.url}/v2/alice/app/manifests/v1`, {
    headers: { Authorization: basic('alice', 'wrong-secret-pw') },
  });
  await fetch(`${main.url}/v2/alice/app/manifests/v1`, {
    headers: { Authorization: basic('nobody', 'nobody-secret-pw') },
  });

  // Tokens: GET with offline_token, OAuth2 password and refresh grants, then used on /v2.
  const got = (await (
    await getToken(main.url, { authorization: alice, scopes: ['repository:alice/app:pull,push'], offline: true })
  ).json()) as TokenBody;
  remember(got.token, got.refresh_token);
  const posted = (await (
    await postToken(main.url, {
      grant_type: 'password',
      username: 'alice',
      password: 'alice-secret-pw',
      access_type: 'offline',
      scope: 'repository:alice/app:pull',
    })
  ).json()) as TokenBody;
  remember(posted.access_token, posted.refresh_token);
  const refreshed = (await (
    await postToken(main.url, {
      grant_type: 'refresh_token',
      refresh_token: posted.refresh_token!,
      scope: 'repository:alice/app:pull',
    })
  ).json()) as TokenBody;
  remember(refreshed.access_token);
  await fetch(`${main.url}/v2/alice/app/blobs/${image.layer.digest}`, {
    headers: { Authorization: bearer(got.token) },
  });
  await fetch(`${main.url}/v2/alice/app/blobs/uploads/`, {
    method: 'POST',
    headers: { Authorization: bearer(refreshed.access_token) },
  });
  await postToken(main.url, { grant_type: 'refresh_token', refresh_token: 'made-up-refresh-secret' });
  remember('made-up-refresh-secret');

  // Tampered and foreign-looking tokens, tokens and passwords in query strings.
  const tampered = `${got.token.slice(0, -4)}AAAA`;
  remember(tampered);
  await fetch(`${main.url}/v2/alice/app/manifests/v1`, { headers: { Authorization: bearer(tampered) } });
  await fetch(`${main.url}/v2/alice/app/manifests/v1?token=${got.token}&password=query-secret-pw`);
  await fetch(`${main.url}/auth/token?password=query-secret-pw2&token=${got.token}`);
  remember('query-secret-pw', 'query-secret-pw2');

  // Throttled sign-ins.
  await main.service.accounts.createUser({ name: 'victim', password: 'victim-secret-pw' });
  await Promise.all(
    Array.from({ length: 11 }, (_, i) => getToken(main.url, { authorization: basic('victim', `guess-secret-${i}`) })),
  );

  // An account created through the management API carries its password in a JSON body.
  await fetch(`${main.url}/api/v0/accounts`, {
    method: 'POST',
    headers: { Authorization: admin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'user', name: 'dave', password: 'dave-secret-pw' }),
  });
  await fetch(`${main.url}/api/v0/accounts`, {
    method: 'POST',
    headers: { Authorization: admin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'user', name: 'short', password: 'tiny' }),
  });
  remember('dave-secret-pw', 'tiny');
  // Stopped here, so that the shutdown lines are looked at too.
  await main.stop();
  stopped = true;
});
afterAll(async () => {
  if (!stopped) await main.stop();
});

describe("main's log", () => {
  it('captured lines (the logger is wired)', () => {
    expect(lines.some((l) => l.includes('"msg":"main registry listening"'))).toBe(true);
    expect(lines.some((l) => l.includes('"msg":"main registry stopped"'))).toBe(true);
  });

  it('holds no password, Basic credential, registry token or refresh token', () => {
    const log = lines.join('');
    expect(secrets.size).toBeGreaterThan(15);
    const leaked = [...secrets].filter((s) => s.length >= 4 && log.includes(s));
    expect(leaked).toEqual([]);
  });

  it('holds no part of a token either (no signature or payload segment)', () => {
    const log = lines.join('');
    const segments = [...secrets].filter((s) => s.startsWith('eyJ')).flatMap((t) => t.split('.').slice(1));
    expect(segments.filter((s) => s.length >= 16 && log.includes(s))).toEqual([]);
  });
});
