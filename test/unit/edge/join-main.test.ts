/**
 * The edge's registration on main, against a tiny HTTP server on 127.0.0.1 standing in for
 * main's join endpoint: what is sent, retries while main is unreachable or failing (without limit
 * by default, with capped pauses), no retry after a refusal, never the token in a log line, and
 * the node credential: kept when main issues one, presented first at the next join, the join
 * token tried when main refuses it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { createLogger } from '../../../src/log/logger.js';
import { joinMain, type JoinMainOptions } from '../../../edge/join-main.js';
import { EdgeCredentials, readNodeCredential } from '../../../edge/node-credential.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

const TOKEN = 'outpost-join-secret-value-for-this-test';
let server: Server;
let mainUrl: string;
let dispatcher: Agent;
/** Statuses answered in turn (the last one repeats). */
let answers: number[];
let received: Array<{ path: string; body: Record<string, unknown> }>;
let logs: string;
/** What main answers a successful join with. */
let joinedBody: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url!, body: JSON.parse(text) as Record<string, unknown> });
      const status = answers.length > 1 ? answers.shift()! : answers[0]!;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        status < 300
          ? joinedBody
          : JSON.stringify({
              errors: [{ code: status === 401 ? 'UNAUTHORIZED' : 'UNAVAILABLE', message: `refused with ${status}` }],
            }),
      );
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
  joinedBody = '{}';
  answers = [201];
  received = [];
  logs = '';
});

const options = (overrides: Partial<JoinMainOptions> = {}): JoinMainOptions => ({
  mainUrl,
  credentials: new EdgeCredentials('/nonexistent', TOKEN, undefined),
  name: 'eu',
  host: 'https://eu.example.com',
  upstream: mainUrl,
  dispatcher,
  logger: createLogger({ level: 'debug', write: (line) => void (logs += line) }),
  signal: new AbortController().signal,
  retryDelayMs: 1,
  ...overrides,
});

describe('joinMain', () => {
  it('posts the token, name, public URL, region and "" for an upstream that is main', async () => {
    expect(await joinMain(options({ region: 'eu-west-1' }))).toBe('joined');
    expect(received).toEqual([
      {
        path: '/api/v0/content_caches/join',
        body: { token: TOKEN, name: 'eu', host: 'https://eu.example.com', region: 'eu-west-1', upstream: '' },
      },
    ]);
    expect(logs).toMatch(/"msg":"registered on main".*"created":true/);
  });

  it('names an upstream edge by its URL', async () => {
    await joinMain(options({ upstream: 'https://eu.example.com' }));
    expect(received[0]!.body.upstream).toBe('https://eu.example.com');
  });

  it('tries again while main answers 5xx, and reports success', async () => {
    answers = [503, 500, 200];
    expect(await joinMain(options())).toBe('joined');
    expect(received).toHaveLength(3);
    expect(logs.match(/trying again/g)).toHaveLength(2);
    expect(logs).toMatch(/"created":false/);
  });

  it('keeps trying for as long as main fails when no limit is given, and registers once it answers', async () => {
    answers = [503, 503, 503, 503, 503, 503, 503, 503, 201];
    expect(await joinMain(options({ maxRetryDelayMs: 2 }))).toBe('joined');
    expect(received).toHaveLength(9);
    // One warning for the outage; the further attempts are logged at info level.
    expect(logs.match(/"level":"warn","msg":"registering on main failed, trying again"/g)).toHaveLength(1);
    expect(logs.match(/"level":"info","msg":"registering on main failed, trying again"/g)).toHaveLength(7);
  });

  it('gives up after the attempts allowed, with the last reason', async () => {
    answers = [503];
    expect(await joinMain(options({ attempts: 3 }))).toBe('unavailable');
    expect(received).toHaveLength(3);
    expect(logs).toMatch(
      /"level":"error","msg":"could not register on main; serving anyway".*"attempts":3.*refused with 503/,
    );
  });

  it('tries again when main cannot be reached', async () => {
    expect(await joinMain(options({ mainUrl: 'http://127.0.0.1:9', attempts: 2 }))).toBe('unavailable');
    expect(logs.match(/trying again/g)).toHaveLength(1);
  });

  it("does not try again after a refusal, and logs main's reason", async () => {
    answers = [401];
    expect(await joinMain(options())).toBe('refused');
    expect(received).toHaveLength(1);
    const refusal =
      '"msg":"main refused to register this cache; serving anyway".*"status":401.*' +
      '"reason":"UNAUTHORIZED: refused with 401"';
    expect(logs).toMatch(new RegExp(refusal));
  });

  it('stops trying once the edge stops', async () => {
    answers = [503];
    const stop = new AbortController();
    const outcome = joinMain(options({ signal: stop.signal, retryDelayMs: 60_000 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop.abort();
    expect(await outcome).toBe('unavailable');
  });

  it('never logs the token', async () => {
    for (const status of [201, 401, 503]) {
      answers = [status];
      await joinMain(options({ attempts: 2 }));
    }
    expect(logs).not.toContain(TOKEN);
  });
});

describe('joinMain and the node credential', () => {
  const CREDENTIAL = `outpost-node-${'c'.repeat(43)}`;
  const OLD_CREDENTIAL = `outpost-node-${'o'.repeat(43)}`;
  let temp: TempDir;
  beforeEach(async () => {
    temp = await createTempDir('outpost-join-credential-');
    return () => temp.remove();
  });

  it('keeps the credential main issues, owner-only, and presents it from then on', async () => {
    joinedBody = JSON.stringify({ name: 'eu', nodeCredential: CREDENTIAL });
    const credentials = await EdgeCredentials.load(temp.path, TOKEN);
    expect(await joinMain(options({ credentials, nodeId: 'eu-1' }))).toBe('joined');
    expect(received[0]?.body.token).toBe(TOKEN);
    expect(credentials.current()).toBe(CREDENTIAL);
    expect(await readNodeCredential(temp.path)).toBe(CREDENTIAL);
    expect((await stat(join(temp.path, 'node-credential'))).mode & 0o777).toBe(0o600);
    expect(logs).not.toContain(CREDENTIAL);
  });

  it('joins with a kept credential alone, the join token long gone from the configuration', async () => {
    const credentials = new EdgeCredentials(temp.path, undefined, CREDENTIAL);
    expect(await joinMain(options({ credentials, nodeId: 'eu-1' }))).toBe('joined');
    expect(received.map((r) => r.body.token)).toEqual([CREDENTIAL]);
  });

  it('tries the join token at once when main refuses the credential, and keeps the new one', async () => {
    answers = [401, 200];
    joinedBody = JSON.stringify({ nodeCredential: CREDENTIAL });
    const credentials = new EdgeCredentials(temp.path, TOKEN, OLD_CREDENTIAL);
    expect(await joinMain(options({ credentials, nodeId: 'eu-1', attempts: 1 }))).toBe('joined');
    expect(received.map((r) => r.body.token)).toEqual([OLD_CREDENTIAL, TOKEN]);
    expect(credentials.current()).toBe(CREDENTIAL);
    expect(logs).toMatch(/refused this node's credential/);
    expect(logs).not.toContain(OLD_CREDENTIAL);
  });

  it('gives up on a refused credential when there is no join token to fall back on', async () => {
    answers = [401];
    const credentials = new EdgeCredentials(temp.path, undefined, OLD_CREDENTIAL);
    expect(await joinMain(options({ credentials, nodeId: 'eu-1' }))).toBe('refused');
    expect(received).toHaveLength(1);
  });
});
