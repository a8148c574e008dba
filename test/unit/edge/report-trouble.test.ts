/**
 * The edge's report to main that its upstream cache failed (edge/report-trouble.ts), against a
 * tiny HTTP server on 127.0.0.1 standing in for main's `POST /api/v0/content_caches/trouble`:
 * what is sent, at most one report per interval, and no failure or token ever reaching the caller
 * or the log.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { createTroubleReporter, type TroubleReporterOptions } from '../../../edge/report-trouble.js';
import { waitFor } from '../../helpers/wait-for.js';

const TOKEN = 'outpost-join-secret-value-for-this-test';
let server: Server;
let mainUrl: string;
let dispatcher: Agent;
let received: Array<{ method: string; path: string; type: string | undefined; body: unknown }>;
let status: number;
let logs: string;
let clock: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, type: req.headers['content-type'], body: JSON.parse(text) });
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  mainUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dispatcher = new Agent();
});
afterAll(async () => {
  server.close();
  await dispatcher.close();
});
beforeEach(() => {
  received = [];
  status = 204;
  logs = '';
  clock = 0;
});

const reporter = (overrides: Partial<TroubleReporterOptions> = {}) =>
  createTroubleReporter({
    mainUrl,
    token: () => TOKEN,
    name: 'sg',
    nodeId: 'sg-1',
    upstream: 'https://eu.example.com',
    dispatcher,
    logger: createLogger({ level: 'debug', write: (line) => void (logs += line) }),
    now: () => clock,
    ...overrides,
  });

describe('the trouble report to main', () => {
  it('posts the token, this node and the failing upstream to /api/v0/content_caches/trouble', async () => {
    reporter()();
    await waitFor(() => received.length === 1, 'the report');
    expect(received[0]).toEqual({
      method: 'POST',
      path: '/api/v0/content_caches/trouble',
      type: 'application/json',
      body: { token: TOKEN, name: 'sg', nodeId: 'sg-1', upstream: 'https://eu.example.com' },
    });
    await waitFor(() => logs.includes('reported the upstream cache failing to main'), 'the log line');
    expect(logs).toMatch(/"level":"debug".*"status":204/);
  });

  it('sends at most one report per interval, however many failures are reported', async () => {
    const report = reporter({ minIntervalMs: 30_000 });
    report();
    report();
    clock = 29_999;
    report();
    await waitFor(() => received.length === 1, 'the first report');
    clock = 30_000;
    report();
    await waitFor(() => received.length === 2, 'the second report');
    report();
    expect(received).toHaveLength(2);
  });

  it('swallows a main that refuses or cannot be reached, logging only at debug level, never the token', async () => {
    status = 401;
    reporter()();
    await waitFor(() => logs.includes('"status":401'), 'the refusal logged');
    expect(() => reporter({ mainUrl: 'http://127.0.0.1:9' })()).not.toThrow();
    await waitFor(() => logs.includes('could not report the upstream cache failing to main'), 'the failure logged');
    expect(logs).not.toMatch(/"level":"(warn|error)"/);
    expect(logs).not.toContain(TOKEN);
  });
});
