/**
 * Main's health probe against a tiny HTTP server on 127.0.0.1 whose /health is switched between
 * 200, 500 and closed (connection refused), one probe round at a time (`probeAll`, no timer):
 * down after three failures in a row, up again after two successes, a new cache counts as up.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { HealthProbe } from '../../../main/caches/health-probe.js';
import type { ContentCache } from '../../../main/caches/content-caches.js';
import { silentLogger } from '../../../src/log/logger.js';

type Answer = 200 | 500 | 'closed' | 'hang';

let answer: Answer;
let server: Server;
let port: number;
let dispatcher: Agent;
let clock: number;
let changes: Array<[string, boolean]>;

async function listen(): Promise<void> {
  server = createServer((req, res) => {
    if (answer === 'hang') return; // never answers: the probe's timeout decides
    res.statusCode = req.url === '/health' ? (answer as number) : 404;
    res.end('{}');
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
}

/** Switches what /health answers; `closed` stops the server, so connections are refused. */
async function set(next: Answer): Promise<void> {
  if (next === 'closed' && answer !== 'closed') {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  } else if (next !== 'closed' && answer === 'closed') {
    await listen();
  }
  answer = next;
}

const edge = (): ContentCache => ({ name: 'eu', host: `http://127.0.0.1:${port}`, networks: [], createdAt: 0 });

function newProbe(caches: () => ContentCache[] = () => [edge()]): HealthProbe {
  return new HealthProbe({
    caches,
    dispatcher,
    logger: silentLogger,
    intervalMs: 60_000,
    timeoutMs: 300,
    now: () => clock,
    onChange: (name, up) => changes.push([name, up]),
  });
}

/** `n` probe rounds, the clock one second further each time. */
async function rounds(probe: HealthProbe, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock += 1_000;
    await probe.probeAll();
  }
}

beforeAll(async () => {
  port = 0;
  answer = 200;
  await listen();
  dispatcher = new Agent({ connect: { timeout: 300 } });
});
afterAll(async () => {
  await set('closed');
  await dispatcher.close();
});
beforeEach(async () => {
  await set(200);
  clock = 1_000_000;
  changes = [];
});
afterEach(async () => {
  // Free connections left waiting by `hang`.
  server.closeAllConnections();
});

describe('HealthProbe', () => {
  it('counts a cache never probed as up', () => {
    expect(newProbe().isUp('eu')).toBe(true);
    expect(newProbe().health('eu')).toEqual({ up: true });
  });

  it('stays up through two failures and marks the cache down at the third, with the reason and since when', async () => {
    const probe = newProbe();
    await set(500);
    await rounds(probe, 2);
    expect(probe.isUp('eu')).toBe(true);
    // Up since the probe first saw it.
    expect(probe.health('eu')).toEqual({
      up: true,
      checkedAt: 1_002_000,
      lastError: 'health answered 500',
      since: 1_001_000,
    });
    await rounds(probe, 1);
    expect(probe.isUp('eu')).toBe(false);
    expect(probe.health('eu')).toMatchObject({ up: false, since: 1_003_000 });
    expect(changes).toEqual([['eu', false]]);
  });

  it('marks a cache down when its connections are refused', async () => {
    const probe = newProbe();
    await set('closed');
    await rounds(probe, 3);
    expect(probe.health('eu')).toMatchObject({ up: false, checkedAt: 1_003_000 });
    expect(probe.health('eu').lastError).toBeTruthy();
  });

  it('counts a /health that does not answer within the timeout as a failure', async () => {
    const probe = newProbe();
    await set('hang');
    await rounds(probe, 3);
    expect(probe.isUp('eu')).toBe(false);
  });

  it('brings a down cache back up after two successes in a row, not one', async () => {
    const probe = newProbe();
    await set('closed');
    await rounds(probe, 3);
    await set(200);
    await rounds(probe, 1);
    expect(probe.isUp('eu')).toBe(false);
    await rounds(probe, 1);
    expect(probe.health('eu')).toEqual({ up: true, checkedAt: 1_005_000, since: 1_005_000 });
    expect(changes).toEqual([
      ['eu', false],
      ['eu', true],
    ]);
  });

  it('starts counting again after a success: failures must be in a row', async () => {
    const probe = newProbe();
    await set(500);
    await rounds(probe, 2);
    await set(200);
    await rounds(probe, 1);
    await set(500);
    await rounds(probe, 2);
    expect(probe.isUp('eu')).toBe(true);
    expect(changes).toEqual([]);
  });

  it('starts counting again after a failure: successes must be in a row', async () => {
    const probe = newProbe();
    await set(500);
    await rounds(probe, 3);
    await set(200);
    await rounds(probe, 1);
    await set(500);
    await rounds(probe, 1);
    await set(200);
    await rounds(probe, 1);
    expect(probe.isUp('eu')).toBe(false);
  });

  it('probes every cache of the list as it is at each round', async () => {
    let list: ContentCache[] = [];
    const probe = newProbe(() => list);
    await rounds(probe, 1);
    expect(probe.health('eu')).toEqual({ up: true });
    list = [edge(), { ...edge(), name: 'dead', host: 'http://127.0.0.1:9' }];
    await rounds(probe, 3);
    expect([probe.isUp('eu'), probe.isUp('dead')]).toEqual([true, false]);
  });

  it('shares one round between concurrent callers', async () => {
    const probe = newProbe();
    const first = probe.probeAll();
    expect(probe.probeAll()).toBe(first);
    await first;
  });
});
