import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain();
});
afterAll(async () => {
  await main.stop();
});

describe('GET /v2/', () => {
  it('answers 200 with the API version header', async () => {
    for (const path of ['/v2/', '/v2']) {
      const res = await fetch(`${main.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
      expect(await res.json()).toEqual({});
    }
  });

  it('answers unknown endpoints with a 404 in the error envelope', async () => {
    const res = await fetch(`${main.url}/v2/foo/nonsense`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ errors: [{ code: 'UNSUPPORTED' }] });
  });
});

describe('GET /health', () => {
  it('reports the database and disk as usable', async () => {
    const res = await fetch(`${main.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; database: string; disk: { freeBytes: number } };
    expect(body.status).toBe('ok');
    expect(body.database).toBe('ok');
    expect(body.disk.freeBytes).toBeGreaterThan(0);
  });
});
