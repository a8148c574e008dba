/**
 * Issue 9, item 12 (names): a user name longer than LMDB's key buffer reached the accounts
 * lookups and came back as `500 UNKNOWN` ("String does not fit in target buffer") on every
 * route that takes a password, before any sign-in. A name that cannot be an account name
 * (the account rules: at most 64 characters, lowercase letters, digits and separators) is now
 * plain wrong credentials, refused like an unknown user without a lookup; a password longer
 * than any password can be (1024 characters) likewise, without hashing it. Each route answers
 * in its own format, never a 500, and nothing is logged as an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { PASSWORD, createUser } from '../helpers/api-client.js';
import { expectOciError } from '../helpers/registry-http.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;
const lines: string[] = [];
// Past the buffer lmdb-js encodes keys into; still within a request header and the token form.
const LONG_NAME = 'b'.repeat(5000);
const LONG_PASSWORD = 'p'.repeat(10_000);

beforeAll(async () => {
  main = await startTestMain({
    auth: true,
    logger: createLogger({ level: 'info', write: (line) => void lines.push(line) }),
  });
  await createUser(main.url, 'carol');
});
afterAll(async () => {
  await main?.stop();
});

const withBasic = (path: string, user: string, password: string) =>
  fetch(`${main.url}${path}`, { headers: { Authorization: basicAuth(user, password) } });

const tokenForm = (fields: Record<string, string>) =>
  fetch(`${main.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ service: 'outpost', ...fields }).toString(),
  });

describe('a user name longer than any account name', () => {
  it('is wrong credentials on /v2 (401 UNAUTHORIZED, as an unknown user)', async () => {
    for (const name of [LONG_NAME, 'b'.repeat(65)]) {
      const error = await expectOciError(await withBasic('/v2/', name, 'x'), 401, 'UNAUTHORIZED');
      expect(error.message).toBe('incorrect username or password');
    }
    expect((await withBasic('/v2/', 'carol', PASSWORD)).status).toBe(200);
  });

  it('is wrong credentials on GET /auth/token (401 UNAUTHORIZED)', async () => {
    const res = await withBasic('/auth/token?service=outpost', LONG_NAME, 'x');
    expect((await expectOciError(res, 401, 'UNAUTHORIZED')).message).toBe('incorrect username or password');
    expect((await withBasic('/auth/token?service=outpost', 'carol', PASSWORD)).status).toBe(200);
  });

  it('is an invalid_grant on POST /auth/token (401)', async () => {
    const res = await tokenForm({ grant_type: 'password', username: LONG_NAME, password: 'x' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'incorrect username or password' });
    expect((await tokenForm({ grant_type: 'password', username: 'carol', password: PASSWORD })).status).toBe(200);
  });

  it('is wrong credentials on /api/v0 (401 UNAUTHORIZED)', async () => {
    const res = await withBasic('/api/v0/accounts/carol', LONG_NAME, 'x');
    expect(res.status).toBe(401);
    expect((await withBasic('/api/v0/accounts/carol', 'carol', PASSWORD)).status).toBe(200);
  });

  it('is an incorrect sign-in on the web form (its own 400)', async () => {
    const web = new WebClient(main.url);
    const page = await web.submit('/sign-in', '/sign-in', { username: LONG_NAME, password: 'x' });
    expect(page.status).toBe(400);
    expect(textOf(page.html)).toContain('Incorrect username or password.');
    expect((await web.signIn('carol', PASSWORD)).status).toBe(303);
  });

  it('in the account parameter or a long refresh token changes nothing (anonymous token; 401)', async () => {
    const anonymous = await fetch(`${main.url}/auth/token?service=outpost&account=${LONG_NAME}`);
    expect(anonymous.status).toBe(200);
    const refresh = await tokenForm({ grant_type: 'refresh_token', refresh_token: 'r'.repeat(10_000) });
    expect(refresh.status).toBe(401);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
  });
});

describe('a password longer than any password can be (1024 characters)', () => {
  it('is wrong credentials on every password route, even for a real name', async () => {
    await expectOciError(await withBasic('/v2/', 'carol', LONG_PASSWORD), 401, 'UNAUTHORIZED');
    await expectOciError(await withBasic('/auth/token?service=outpost', 'carol', LONG_PASSWORD), 401, 'UNAUTHORIZED');
    const form = await tokenForm({ grant_type: 'password', username: 'carol', password: LONG_PASSWORD });
    expect(form.status).toBe(401);
    expect((await withBasic('/api/v0/accounts/carol', 'carol', LONG_PASSWORD)).status).toBe(401);
    const web = await new WebClient(main.url).submit('/sign-in', '/sign-in', {
      username: 'carol',
      password: 'p'.repeat(60_000),
    });
    expect(web.status).toBe(400);
  });
});

describe('the log', () => {
  it('holds no error from any of these requests', () => {
    const errors = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'error');
    expect(errors).toEqual([]);
  });
});
