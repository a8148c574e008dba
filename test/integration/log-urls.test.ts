/**
 * URL fields in the logs are what clients use (issue 14, "Logs"): with a public URL set, the
 * start-up lines of main and the edge name it as `url`, and the socket they listen on as
 * `bindUrl`, so an operator never copies a bind address into a client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { startTestEdge, type TestEdge } from '../helpers/edge.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';

const lines: Record<string, unknown>[] = [];
const logger = createLogger({ write: (line) => void lines.push(JSON.parse(line)) });
let main: TestMain;
let edge: TestEdge;

beforeAll(async () => {
  main = await startTestMain({ logger, env: { OUTPOST_MAIN_PUBLIC_URL: 'https://registry.example.com' } });
  edge = await startTestEdge({
    name: 'sg',
    upstream: main.service.server.url,
    issuer: main.service.server.url,
    logger,
    env: { OUTPOST_EDGE_PUBLIC_URL: 'https://sg.example.com' },
  });
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

describe('the start-up log lines', () => {
  it.each([
    ['main registry listening', 'https://registry.example.com', () => main.service.server.url],
    ['edge cache listening', 'https://sg.example.com', () => edge.service.server.url],
  ])('"%s" gives the public URL as url and the socket as bindUrl', (msg, publicUrl, bindUrl) => {
    const line = lines.find((l) => l.msg === msg);
    expect(line).toMatchObject({ level: 'info', url: publicUrl, bindUrl: bindUrl() });
    expect(bindUrl()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
