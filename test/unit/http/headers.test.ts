import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { API_VERSION, API_VERSION_HEADER, registryHeaders } from '../../../src/http/headers.js';

function app() {
  const hono = new Hono();
  hono.use(registryHeaders);
  hono.get('/v2/', (c) => c.json({}));
  hono.post('/v2/created', (c) => c.body(null, 201));
  hono.post('/v2/accepted', (c) => c.body(null, 202, { 'Content-Length': '0', Location: '/next' }));
  hono.delete('/v2/gone', (c) => c.body(null, 204));
  return hono;
}

describe('registryHeaders', () => {
  it('sends Docker-Distribution-API-Version: registry/2.0 on every response', async () => {
    const res = await app().request('/v2/');
    expect(API_VERSION_HEADER).toBe('Docker-Distribution-API-Version');
    expect(res.headers.get(API_VERSION_HEADER)).toBe(API_VERSION);
    expect(API_VERSION).toBe('registry/2.0');
  });

  it('also on responses no route produced', async () => {
    expect((await app().request('/v2/nothing')).headers.get(API_VERSION_HEADER)).toBe('registry/2.0');
  });

  it('adds Content-Length: 0 to an empty 201', async () => {
    const res = await app().request('/v2/created', { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-length')).toBe('0');
  });

  it('keeps a Content-Length the route set', async () => {
    const res = await app().request('/v2/accepted', { method: 'POST' });
    expect(res.headers.get('content-length')).toBe('0');
    expect(res.headers.get('location')).toBe('/next');
  });

  it('adds no Content-Length to a 204, which must not have one', async () => {
    const res = await app().request('/v2/gone', { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.headers.get('content-length')).toBeNull();
  });
});
