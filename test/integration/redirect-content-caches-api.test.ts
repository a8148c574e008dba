/**
 * `/api/v0/content_caches` (DESIGN 3.5, DTR's name): admins add, change and remove caches; any
 * signed-in user lists them with their chain and health (the profile's cache picker). Every
 * refusal is the API's error envelope with its status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, apiOk, createUser, expectApiError } from '../helpers/api-client.js';

interface CacheView {
  name: string;
  host: string;
  upstream: string;
  region: string;
  networks: string[];
  chain: string[];
  health: { up: boolean; checkedAt?: number; lastError?: string };
  createdAt: string;
}

let main: TestMain;
let base: string;
let bob: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  base = main.url;
  bob = await createUser(base, 'bob');
});
afterAll(async () => {
  await main?.stop();
});

const create = (body: unknown, auth = ADMIN) => api(base, 'POST', '/content_caches', { auth, body });

describe('POST /api/v0/content_caches', () => {
  it('adds a cache (201) and answers its view, with the chain up to main, its health and its one node', async () => {
    const view = await apiOk<CacheView>(base, 'POST', '/content_caches', 201, {
      auth: ADMIN,
      body: {
        name: 'eu',
        host: 'https://eu.registry.example.com/',
        region: 'eu-west-1',
        networks: ['10.1.0.0/16', '2001:db8::/32'],
      },
    });
    expect(view).toEqual({
      name: 'eu',
      host: 'https://eu.registry.example.com',
      upstream: '',
      region: 'eu-west-1',
      networks: ['10.1.0.0/16', '2001:db8::/32'],
      chain: ['eu'],
      health: expect.objectContaining({ up: expect.any(Boolean) }),
      // No edge joined with a node id: the cache is one node at its host.
      nodes: [
        {
          id: 'default',
          host: 'https://eu.registry.example.com',
          joinedAt: view.createdAt,
          health: expect.objectContaining({ up: expect.any(Boolean) }),
        },
      ],
      createdAt: expect.any(String),
    });
  });

  it('adds a cache pulling through another one', async () => {
    const view = await apiOk<CacheView>(base, 'POST', '/content_caches', 201, {
      auth: ADMIN,
      body: { name: 'asia', host: 'https://asia.registry.example.com', upstream: 'eu' },
    });
    expect([view.upstream, view.chain, view.networks]).toEqual(['eu', ['asia', 'eu'], []]);
  });

  it('answers 409 ALREADY_EXISTS for a name taken', async () => {
    await expectApiError(
      await create({ name: 'eu', host: 'https://other.example.com' }),
      409,
      'ALREADY_EXISTS',
      /content cache "eu" already exists/,
    );
  });

  it('answers 400 INVALID_INPUT for an upstream that is not a cache', async () => {
    await expectApiError(
      await create({ name: 'us', host: 'https://us.example.com', upstream: 'nowhere' }),
      400,
      'INVALID_INPUT',
      /upstream "nowhere" is not a known content cache/,
    );
  });

  it('answers 400 INVALID_INPUT for a network that is not CIDR', async () => {
    await expectApiError(
      await create({ name: 'us', host: 'https://us.example.com', networks: ['10.0.0.0/40'] }),
      400,
      'INVALID_INPUT',
      /"10.0.0.0\/40" is not a network in CIDR notation/,
    );
    await expectApiError(
      await create({ name: 'us', host: 'https://us.example.com', networks: '10.0.0.0/8' }),
      400,
      'INVALID_INPUT',
      /networks/,
    );
  });

  it('answers 400 INVALID_INPUT for a bad name or host, and for a body that is not JSON', async () => {
    await expectApiError(
      await create({ name: 'US East', host: 'https://us.example.com' }),
      400,
      'INVALID_INPUT',
      /name must be lowercase/,
    );
    await expectApiError(
      await create({ name: 'us', host: 'ftp://us.example.com' }),
      400,
      'INVALID_INPUT',
      /host must be the http\(s\) URL/,
    );
    await expectApiError(await create('{"name":'), 400, 'INVALID_INPUT', /not valid JSON/);
  });

  it('answers 403 NO_PERMISSION to a user who is not an admin, and 401 without credentials', async () => {
    await expectApiError(
      await create({ name: 'us', host: 'https://us.example.com' }, bob),
      403,
      'NO_PERMISSION',
      /only administrators may add content caches/,
    );
    await expectApiError(
      await api(base, 'POST', '/content_caches', { body: { name: 'us', host: 'https://us.example.com' } }),
      401,
      'UNAUTHORIZED',
      /sign in first/,
    );
    expect(await main.service.caches.caches.get('us')).toBeUndefined();
  });
});

describe('GET /api/v0/content_caches', () => {
  it('lists every cache with its health for any signed-in user', async () => {
    const list = await apiOk<CacheView[]>(base, 'GET', '/content_caches', 200, { auth: bob });
    expect(list.map((c) => [c.name, c.chain])).toEqual([
      ['asia', ['asia', 'eu']],
      ['eu', ['eu']],
    ]);
    for (const cache of list) expect(typeof cache.health.up).toBe('boolean');
  });

  it('shows one cache by name, and 404 NOT_FOUND for an unknown one', async () => {
    expect((await apiOk<CacheView>(base, 'GET', '/content_caches/asia', 200, { auth: bob })).host).toBe(
      'https://asia.registry.example.com',
    );
    await expectApiError(
      await api(base, 'GET', '/content_caches/nope', { auth: bob }),
      404,
      'NOT_FOUND',
      /content cache "nope" does not exist/,
    );
  });

  it('answers 401 without credentials', async () => {
    await expectApiError(await api(base, 'GET', '/content_caches'), 401, 'UNAUTHORIZED', /sign in first/);
  });
});

describe('PATCH /api/v0/content_caches/<name>', () => {
  it('changes the fields given, keeps the others, and ignores a name in the body', async () => {
    const view = await apiOk<CacheView>(base, 'PATCH', '/content_caches/eu', 200, {
      auth: ADMIN,
      body: { name: 'renamed', region: 'eu-central-1' },
    });
    expect([view.name, view.region, view.host, view.networks]).toEqual([
      'eu',
      'eu-central-1',
      'https://eu.registry.example.com',
      ['10.1.0.0/16', '2001:db8::/32'],
    ]);
  });

  it('answers 400 INVALID_INPUT for a change that would make a cycle', async () => {
    await expectApiError(
      await api(base, 'PATCH', '/content_caches/eu', { auth: ADMIN, body: { upstream: 'asia' } }),
      400,
      'INVALID_INPUT',
      /would make a cycle/,
    );
    expect((await main.service.caches.caches.get('eu'))!.upstream).toBeUndefined();
  });

  it('answers 404 NOT_FOUND for an unknown cache, and 403 to a user who is not an admin', async () => {
    await expectApiError(
      await api(base, 'PATCH', '/content_caches/nope', { auth: ADMIN, body: { region: 'x' } }),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
    await expectApiError(
      await api(base, 'PATCH', '/content_caches/eu', { auth: bob, body: { region: 'x' } }),
      403,
      'NO_PERMISSION',
      /only administrators/,
    );
  });
});

describe('DELETE /api/v0/content_caches/<name>', () => {
  it('answers 400 INVALID_INPUT while another cache pulls through it', async () => {
    await expectApiError(
      await api(base, 'DELETE', '/content_caches/eu', { auth: ADMIN }),
      400,
      'INVALID_INPUT',
      /"eu" is the upstream of asia/,
    );
  });

  it('answers 403 to a user who is not an admin and 404 for an unknown cache', async () => {
    await expectApiError(
      await api(base, 'DELETE', '/content_caches/asia', { auth: bob }),
      403,
      'NO_PERMISSION',
      /only administrators may remove content caches/,
    );
    await expectApiError(
      await api(base, 'DELETE', '/content_caches/nope', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /does not exist/,
    );
  });

  it('removes a cache (204), then its former upstream', async () => {
    expect((await api(base, 'DELETE', '/content_caches/asia', { auth: ADMIN })).status).toBe(204);
    expect((await api(base, 'DELETE', '/content_caches/eu', { auth: ADMIN })).status).toBe(204);
    expect(await apiOk(base, 'GET', '/content_caches', 200, { auth: bob })).toEqual([]);
  });
});
