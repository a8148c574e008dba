import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { accessLog } from '../../../src/http/access-log.js';
import { createLogger } from '../../../src/log/logger.js';

function setup(sampleRate: number, random?: () => number) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ write: (line) => void lines.push(JSON.parse(line)) });
  const app = new Hono();
  app.use(accessLog({ logger, sampleRate, userOf: (c) => c.req.header('x-user'), ...(random && { random }) }));
  app.get('/v2/:name{.+}/blobs/:digest', (c) => {
    c.set('cacheDecision', 'direct:no-preference');
    return c.body('twelve bytes', 200, { 'Content-Length': '12' });
  });
  return { app, lines };
}

describe('accessLog', () => {
  it('writes one info line per request: method, route template, status, bytes, duration, user, cache decision', async () => {
    const { app, lines } = setup(1);
    await app.request(`/v2/team/app/blobs/sha256:${'a'.repeat(64)}?token=secret-value`, {
      headers: { 'x-user': 'ann' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request',
      log: 'access',
      method: 'GET',
      route: '/v2/{name}/blobs/{digest}',
      status: 200,
      bytes: 12,
      user: 'ann',
      cacheDecision: 'direct:no-preference',
    });
    expect(typeof lines[0]!.durationMs).toBe('number');
    expect(JSON.stringify(lines)).not.toMatch(/secret-value|token|sha256/);
  });

  it('logs requests no route matched as unmatched, without their path', async () => {
    const { app, lines } = setup(1);
    expect((await app.request('/private/path/of/someone')).status).toBe(404);
    expect(lines[0]).toMatchObject({ route: 'unmatched', status: 404 });
    expect(JSON.stringify(lines)).not.toContain('someone');
  });

  it('writes nothing at sample rate 0 (npm start), and the sampled share in between', async () => {
    const off = setup(0);
    await off.app.request('/nowhere');
    expect(off.lines).toEqual([]);
    const draws = [0.05, 0.5, 0.09, 0.95];
    const sampled = setup(0.1, () => draws.shift()!);
    for (let i = 0; i < 4; i++) await sampled.app.request('/nowhere');
    expect(sampled.lines).toHaveLength(2);
  });
});
