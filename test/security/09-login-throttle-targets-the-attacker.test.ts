/**
 * Issue 9, item 9: the login throttle throttles the attacker, not the victim. Ten wrong
 * passwords for a name used to lock its owner out everywhere for 15 minutes, and 50 failures
 * with made-up names from one address locked out every new login from it (a NAT, a TLS proxy).
 * Now failures lock only the (address, name) pair that made them; an address or a name failing
 * too often is slowed, never locked; `X-Forwarded-For` is believed only from a configured
 * trusted proxy (`http.trustedProxies`); and each throttle decision is logged without the
 * password.
 *
 * main sees every test request from 127.0.0.1; with 127.0.0.1 as the trusted proxy, the
 * `X-Forwarded-For` header stands for the client's address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { loadMainConfig } from '../../main/config.js';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { PASSWORD, createUser } from '../helpers/api-client.js';

let behindProxy: TestMain;
let direct: TestMain;
const lines: string[] = [];

beforeAll(async () => {
  behindProxy = await startTestMain({
    auth: true,
    env: { OUTPOST_MAIN_HTTP__TRUSTED_PROXIES: '127.0.0.1, 10.255.0.0/16' },
    logger: createLogger({ level: 'info', write: (line) => void lines.push(line) }),
  });
  direct = await startTestMain({ auth: true });
  for (const main of [behindProxy, direct]) {
    await createUser(main.url, 'victim');
    await createUser(main.url, 'neighbour');
  }
  await createUser(behindProxy.url, 'parallel');
  await createUser(behindProxy.url, 'busy');
});
afterAll(async () => {
  await behindProxy.stop();
  await direct.stop();
});

/** `GET /auth/token` with Basic credentials, as the client at `forwardedFor` (via the proxy). */
function signIn(main: TestMain, user: string, password: string, forwardedFor?: string): Promise<Response> {
  const headers: Record<string, string> = { Authorization: basicAuth(user, password) };
  if (forwardedFor !== undefined) headers['X-Forwarded-For'] = forwardedFor;
  return fetch(`${main.url}/auth/token?service=outpost`, { headers });
}

/** Ten wrong passwords at once (in parallel, so that no growing delay makes the test slow). */
async function guessTenTimes(main: TestMain, user: string, forwardedFor?: string): Promise<void> {
  const guesses = Array.from({ length: 10 }, (_, i) => signIn(main, user, `wrong-guess-${i}`, forwardedFor));
  const answers = await Promise.all(guesses);
  for (const res of answers) expect(res.status).toBe(401);
}

describe('an attacker guessing one account', () => {
  it('is refused with 429 and a Retry-After from its own address', async () => {
    await guessTenTimes(behindProxy, 'victim', '203.0.113.66');
    const res = await signIn(behindProxy, 'victim', PASSWORD, '203.0.113.66');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('TOOMANYREQUESTS');
  });

  it('does not lock the owner out: the right password works from another address', async () => {
    const res = await signIn(behindProxy, 'victim', PASSWORD, '198.51.100.7');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token: string }).token).toMatch(/^ey/);
  });

  it('keeps the lock after the owner signed in elsewhere: a remembered password skips scrypt, not the throttle', async () => {
    // The owner's sign-in just above is remembered for a minute; the locked address still gets 429.
    const res = await signIn(behindProxy, 'victim', PASSWORD, '203.0.113.66');
    expect(res.status).toBe(429);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('TOOMANYREQUESTS');
  });

  it('logs the refusal with the name and the address, and no password', () => {
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const refusals = records.filter((l) => String(l.msg).startsWith('sign-in refused'));
    expect(refusals).toContainEqual(expect.objectContaining({ user: 'victim', address: '203.0.113.66', failures: 10 }));
    expect(lines.join('\n')).not.toContain('wrong-guess-');
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });
});

describe('guesses sent all at once', () => {
  it('get no more password checks than the lock allows: 60 parallel guesses, 10 answered 401, 50 refused 429', async () => {
    const guesses = Array.from({ length: 60 }, (_, i) => signIn(behindProxy, 'parallel', `guess-${i}`, '203.0.113.88'));
    const statuses = (await Promise.all(guesses)).map((res) => res.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(50);
    expect((await signIn(behindProxy, 'parallel', PASSWORD, '203.0.113.88')).status).toBe(429);
    expect((await signIn(behindProxy, 'parallel', PASSWORD, '198.51.100.8')).status).toBe(200);
  });

  it('do not lock out a client sending its right password on many requests at once', async () => {
    // The same name and password from one address are checked once, taking one place, not twenty.
    const requests = Array.from({ length: 20 }, () => signIn(behindProxy, 'busy', PASSWORD, '198.51.100.20'));
    for (const res of await Promise.all(requests)) expect(res.status).toBe(200);
  });
});

describe('many failures with made-up names from one address', () => {
  it('do not lock out a real user behind the same address (only slow it down)', async () => {
    const spray = (i: number) => signIn(behindProxy, `made-up-${i}`, 'whatever-password', '192.0.2.1');
    const sprayed = Array.from({ length: 50 }, (_, i) => spray(i));
    const answers = await Promise.all(sprayed);
    for (const res of answers) expect(res.status).toBe(401);
    const res = await signIn(behindProxy, 'neighbour', PASSWORD, '192.0.2.1');
    expect(res.status).toBe(200);
  });
});

describe('X-Forwarded-For', () => {
  it('is believed through a chain of trusted proxies, right to left', async () => {
    // Wrong passwords throughout: a right one verified a moment ago skips the throttle (cached).
    await guessTenTimes(behindProxy, 'neighbour', '203.0.113.77, 10.255.3.4');
    // The same client without the trusted hop in front: the same pair, locked.
    expect((await signIn(behindProxy, 'neighbour', 'another-guess', '203.0.113.77')).status).toBe(429);
    // An address left of an untrusted hop is that hop's claim: the client is 198.51.100.9.
    expect((await signIn(behindProxy, 'neighbour', 'another-guess', '203.0.113.77, 198.51.100.9')).status).toBe(401);
  });

  it('is ignored without trusted proxies: a client cannot pick the address it is counted under', async () => {
    await guessTenTimes(direct, 'victim', '203.0.113.1');
    expect((await signIn(direct, 'victim', PASSWORD, '198.51.100.99')).status).toBe(429);
    expect((await signIn(direct, 'victim', PASSWORD)).status).toBe(429);
  });
});

describe('the http.trustedProxies setting', () => {
  it('takes addresses and networks, comma-separated from the environment; none by default', () => {
    expect(loadMainConfig({}, {}).http.trustedProxies).toEqual([]);
    const config = loadMainConfig({}, { OUTPOST_MAIN_HTTP__TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.1,::1' });
    expect(config.http.trustedProxies).toEqual(['10.0.0.0/8', '192.0.2.1', '::1']);
  });

  it('refuses to start with something that is not an address or a network', () => {
    const env = { OUTPOST_MAIN_HTTP__TRUSTED_PROXIES: '10.0.0.0/8,proxy.example' };
    expect(() => loadMainConfig({}, env)).toThrow(
      /OUTPOST_MAIN_HTTP__TRUSTED_PROXIES: "proxy\.example" is not an address/,
    );
  });
});
