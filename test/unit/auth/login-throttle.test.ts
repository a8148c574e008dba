/**
 * The throttle's clock is injected (`now`) for the window; its penalty waits are real timers,
 * driven here with vitest's fake timers so that no test sleeps.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLoginThrottle, type LoginThrottle } from '../../../main/auth/login-throttle.js';
import { createMemoryThrottleStore } from '../../../main/metadata/memory/throttle.js';
import { OciError } from '../../../src/oci/errors.js';

let clock = 0;
const now = () => clock;

beforeEach(() => {
  clock = 1_000_000;
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Whether `before()` settles without advancing the timers by more than `ms`. */
async function settlesWithin(throttle: LoginThrottle, account: string, address: string, ms: number): Promise<boolean> {
  let settled = false;
  const pending = throttle.before(account, address).then((attempt) => {
    attempt.abandoned();
    settled = true;
  });
  await vi.advanceTimersByTimeAsync(ms);
  const result = settled;
  await vi.runAllTimersAsync();
  await pending;
  return result;
}

async function fail(throttle: LoginThrottle, times: number, account = 'alice', address = '10.0.0.1') {
  for (let i = 0; i < times; i++) await throttle.failed(account, address);
}

async function refusal(throttle: LoginThrottle, account = 'alice', address = '10.0.0.1'): Promise<OciError> {
  const err = await throttle.before(account, address).then(
    (attempt) => void attempt.abandoned(),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OciError);
  return err as OciError;
}

describe('login throttle', () => {
  it('lets the first attempts through at once', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now });
    await fail(throttle, 2);
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 0)).toBe(true);
  });

  it('slows down after slowAfter failures, doubling the wait up to the cap', async () => {
    const throttle = createLoginThrottle({
      store: createMemoryThrottleStore(),
      now,
      slowAfter: 3,
      lockAfter: 10,
      maxDelayMs: 1000,
    });
    await fail(throttle, 3);
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 249)).toBe(false);
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 250)).toBe(true);
    await fail(throttle, 1);
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 499)).toBe(false);
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 500)).toBe(true);
    await fail(throttle, 4);
    // 250 * 2^5 would be 8 s: capped at maxDelayMs.
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 999)).toBe(false);
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 1000)).toBe(true);
  });

  it('slows down only the account that failed', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now });
    await fail(throttle, 5, 'alice');
    expect(await settlesWithin(throttle, 'bob', '10.0.0.1', 0)).toBe(true);
  });

  it('refuses with TOOMANYREQUESTS and a Retry-After once lockAfter failures are reached', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now, windowMs: 60_000, lockAfter: 10 });
    await fail(throttle, 10);
    clock += 15_000;
    const err = await refusal(throttle);
    expect(err.code).toBe('TOOMANYREQUESTS');
    expect(err.status).toBe(429);
    // The window opened at the first failure: 45 s of it are left.
    expect(err.headers['Retry-After']).toBe('45');
  });

  it('never answers a Retry-After below one second', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now, windowMs: 60_000, lockAfter: 2 });
    await fail(throttle, 2);
    clock += 59_999;
    expect((await refusal(throttle)).headers['Retry-After']).toBe('1');
  });

  it('forgives once the window has passed', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now, windowMs: 60_000, lockAfter: 10 });
    await fail(throttle, 10);
    clock += 60_001;
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 0)).toBe(true);
  });

  it('clears the account on a success (and the penalty with it)', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now, lockAfter: 10 });
    await fail(throttle, 9);
    await throttle.succeeded('alice', '10.0.0.1');
    expect(await settlesWithin(throttle, 'alice', '10.0.0.2', 0)).toBe(true);
    await fail(throttle, 9);
    expect(await settlesWithin(throttle, 'alice', '10.0.0.2', 5_000)).toBe(true);
  });

  it('refuses only the guessing address: the owner still signs in from another one', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now, lockAfter: 10 });
    await fail(throttle, 10, 'alice', '192.0.2.66');
    expect((await refusal(throttle, 'alice', '192.0.2.66')).code).toBe('TOOMANYREQUESTS');
    // The name's own count only slows (250 ms at 10 failures), and never refuses.
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 250)).toBe(true);
    await throttle.succeeded('alice', '10.0.0.1');
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 0)).toBe(true);
  });

  it('slows, but never locks, an address failing across many names (a NAT, a TLS proxy)', async () => {
    const throttle = createLoginThrottle({
      store: createMemoryThrottleStore(),
      now,
      lockAfter: 10,
      slowAfterPerAddress: 20,
      maxDelayMs: 4000,
    });
    for (let i = 0; i < 200; i++) await throttle.failed(`made-up-${i}`, '192.0.2.7');
    expect(await settlesWithin(throttle, 'someone-new', '192.0.2.7', 3999)).toBe(false);
    expect(await settlesWithin(throttle, 'someone-new', '192.0.2.7', 4000)).toBe(true);
    expect(await settlesWithin(throttle, 'someone-new', '192.0.2.8', 0)).toBe(true);
  });

  it('slows, but never locks, a name failing from many addresses', async () => {
    const throttle = createLoginThrottle({
      store: createMemoryThrottleStore(),
      now,
      lockAfter: 3,
      slowAfterPerAccount: 10,
    });
    for (let i = 0; i < 50; i++) await throttle.failed('alice', `10.0.${i}.1`);
    expect(await settlesWithin(throttle, 'alice', '10.9.9.9', 4000)).toBe(true);
  });

  it('keeps counting an address after a success of one of its accounts', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now, slowAfterPerAddress: 3 });
    for (let i = 0; i < 3; i++) await throttle.failed(`user${i}`, '192.0.2.7');
    await throttle.succeeded('user0', '192.0.2.7');
    expect(await settlesWithin(throttle, 'user0', '192.0.2.7', 249)).toBe(false);
  });

  it('counts made-up names longer than any account by their first 128 characters only', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now, lockAfter: 3 });
    const prefix = 'x'.repeat(128);
    for (let i = 0; i < 3; i++) await throttle.failed(`${prefix}${'y'.repeat(10_000)}${i}`, '10.0.0.1');
    expect((await refusal(throttle, `${prefix}z`, '10.0.0.1')).code).toBe('TOOMANYREQUESTS');
  });

  it('logs each delay and refusal with the name and the address', async () => {
    const lines: Array<{ msg: string; fields: Record<string, unknown> | undefined }> = [];
    const record = (msg: string, fields?: Record<string, unknown>) => void lines.push({ msg, fields });
    const logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
    const throttle = createLoginThrottle({
      store: createMemoryThrottleStore(),
      now,
      slowAfter: 1,
      lockAfter: 2,
      logger,
    });
    await fail(throttle, 1);
    await settlesWithin(throttle, 'alice', '10.0.0.1', 250);
    await fail(throttle, 1);
    await refusal(throttle);
    expect(lines).toEqual([
      { msg: 'sign-in delayed after failed attempts', fields: { user: 'alice', address: '10.0.0.1', delayMs: 250 } },
      {
        msg: 'sign-in refused: too many failures from this address for this account',
        fields: { user: 'alice', address: '10.0.0.1', failures: 2, retryAfterSeconds: 900 },
      },
    ]);
  });

  it('counts attempts in progress against the lock, so that guesses sent at once cannot pass it', async () => {
    const throttle = createLoginThrottle({
      store: createMemoryThrottleStore(),
      now,
      lockAfter: 10,
      slowAfter: 100,
      slowAfterPerAccount: 100,
    });
    await fail(throttle, 4);
    const attempts = await Promise.all(Array.from({ length: 6 }, () => throttle.before('alice', '10.0.0.1')));
    const err = await refusal(throttle);
    expect(err.code).toBe('TOOMANYREQUESTS');
    expect(err.headers['Retry-After']).toBe('900');
    // Another address, and another name from this one, are not held up by them.
    expect(await settlesWithin(throttle, 'alice', '10.0.0.2', 0)).toBe(true);
    expect(await settlesWithin(throttle, 'bob', '10.0.0.1', 0)).toBe(true);
    for (const attempt of attempts) await attempt.failed();
    expect((await refusal(throttle)).code).toBe('TOOMANYREQUESTS');
  });

  it('sees an attempt that fails while the store is being read once, not as in progress and failed', async () => {
    // A slow store (PostgreSQL): each read answers when the test lets it, with what is counted then.
    const memory = createMemoryThrottleStore();
    const answers: Array<() => void> = [];
    const store = {
      ...memory,
      get: (keys: readonly string[], at: number) =>
        new Promise<void>((resolve) => answers.push(resolve)).then(() => memory.get(keys, at)),
    };
    const throttle = createLoginThrottle({ store, now, lockAfter: 2, slowAfter: 100, slowAfterPerAccount: 100 });
    const first = throttle.before('alice', '10.0.0.1');
    const second = throttle.before('alice', '10.0.0.1');
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(0));
    answers.shift()!();
    // The first attempt fails while the second one's read is asked for or under way.
    const failed = (await first).failed();
    await vi.advanceTimersByTimeAsync(0);
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(0));
    answers.shift()!();
    await failed;
    // One failure and nothing else in progress: under the lock of 2, the second attempt goes on.
    await (await second).failed();
    // Two failures: locked.
    const third = throttle.before('alice', '10.0.0.1');
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    answers.shift()!();
    await expect(third).rejects.toMatchObject({ code: 'TOOMANYREQUESTS' });
  });

  it('frees the place of an attempt that ends without an answer, and ends each attempt once', async () => {
    const throttle = createLoginThrottle({
      store: createMemoryThrottleStore(),
      now,
      lockAfter: 2,
      slowAfter: 100,
      slowAfterPerAccount: 100,
    });
    const first = await throttle.before('alice', '10.0.0.1');
    const second = await throttle.before('alice', '10.0.0.1');
    expect((await refusal(throttle)).code).toBe('TOOMANYREQUESTS');
    first.abandoned();
    await second.failed();
    await second.failed();
    second.abandoned();
    // One failure counted, no attempt in progress: one more place.
    const third = await throttle.before('alice', '10.0.0.1');
    expect((await refusal(throttle)).code).toBe('TOOMANYREQUESTS');
    await third.succeeded();
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 0)).toBe(true);
  });

  it('sets Retry-After by the counter that locks, not by an older one that does not', async () => {
    const throttle = createLoginThrottle({ store: createMemoryThrottleStore(), now, windowMs: 60_000, lockAfter: 3 });
    await throttle.failed('someone', '10.0.0.1');
    clock += 40_000;
    await fail(throttle, 3, 'alice', '10.0.0.1');
    // alice locked 40 s after the address's first failure: her window has a full minute left.
    expect((await refusal(throttle, 'alice', '10.0.0.1')).headers['Retry-After']).toBe('60');
  });

  it('holds a lockout across throttles that share one store (replicas), and counts failures of both', async () => {
    const store = createMemoryThrottleStore();
    const options = { store, now, windowMs: 60_000, lockAfter: 4, slowAfter: 100, slowAfterPerAccount: 100 };
    const [replica1, replica2] = [createLoginThrottle(options), createLoginThrottle(options)];
    await fail(replica1, 2);
    await fail(replica2, 1);
    expect(await settlesWithin(replica2, 'alice', '10.0.0.1', 0)).toBe(true);
    await fail(replica1, 1);
    expect((await refusal(replica2)).code).toBe('TOOMANYREQUESTS');
    expect(await settlesWithin(replica2, 'alice', '10.0.0.2', 0)).toBe(true);
    await replica2.succeeded('alice', '10.0.0.1');
    expect(await settlesWithin(replica1, 'alice', '10.0.0.1', 0)).toBe(true);
  });

  it('refuses the attempt, reserving nothing, when the store cannot be read', async () => {
    const store = createMemoryThrottleStore();
    let down = true;
    const flaky = {
      ...store,
      get: (...args: Parameters<typeof store.get>) =>
        down ? Promise.reject(new Error('store down')) : store.get(...args),
    };
    const throttle = createLoginThrottle({ store: flaky, now, lockAfter: 1 });
    await expect(throttle.before('alice', '10.0.0.1')).rejects.toThrow('store down');
    down = false;
    // Had the failed read kept its place, this one would count it and be refused (lockAfter 1).
    expect(await settlesWithin(throttle, 'alice', '10.0.0.1', 0)).toBe(true);
  });
});
