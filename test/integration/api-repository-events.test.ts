import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { indexManifest, imageManifest, randomBlob } from '../helpers/oci-fixtures.js';
import { expectOciError } from '../helpers/registry-http.js';
import { ADMIN, api, apiOk, createUser, expectApiError, pushImageAs, putManifestAs } from '../helpers/api-client.js';

let main: TestMain;
let base: string;
let alice: string;
let bob: string;

interface EventView {
  type: string;
  actor: string;
  at: string;
  tag?: string;
  digest?: string;
}

const events = async (path: string, auth?: string) =>
  (await apiOk<{ events: EventView[] }>(base, 'GET', path, 200, auth === undefined ? {} : { auth })).events.map(
    ({ at: _at, ...rest }) => rest,
  );

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  base = main.url;
  alice = await createUser(base, 'alice');
  bob = await createUser(base, 'bob');
});
afterAll(async () => {
  await main.stop();
});

describe('GET /api/v0/repositories/<namespace>/<repo>/events', () => {
  it('records create, push, tag, untag, delete and settings with the actor, newest first', async () => {
    await apiOk(base, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'app', visibility: 'public' } });
    const first = await pushImageAs(base, alice, 'alice/app', 'v1');
    expect((await putManifestAs(base, alice, 'alice/app', 'v1', first)).status).toBe(201);
    const second = await pushImageAs(base, ADMIN, 'alice/app', 'v1');
    expect((await putManifestAs(base, alice, 'alice/app', 'latest', second)).status).toBe(201);
    expect(
      (await fetch(`${base}/v2/alice/app/manifests/latest`, { method: 'DELETE', headers: { Authorization: alice } }))
        .status,
    ).toBe(202);
    expect(
      (
        await fetch(`${base}/v2/alice/app/manifests/${first.digest}`, {
          method: 'DELETE',
          headers: { Authorization: alice },
        })
      ).status,
    ).toBe(202);
    await apiOk(base, 'PATCH', '/repositories/alice/app', 200, { auth: alice, body: { immutableTags: false } });

    expect(await events('/repositories/alice/app/events', alice)).toEqual([
      { type: 'settings', actor: 'alice' },
      { type: 'delete', actor: 'alice', digest: first.digest },
      { type: 'untag', actor: 'alice', tag: 'latest' },
      { type: 'push', actor: 'alice', tag: 'latest', digest: second.digest },
      { type: 'tag', actor: 'admin', tag: 'v1', digest: second.digest },
      { type: 'push', actor: 'admin', tag: 'v1', digest: second.digest },
      { type: 'push', actor: 'alice', tag: 'v1', digest: first.digest },
      { type: 'push', actor: 'alice', tag: 'v1', digest: first.digest },
      { type: 'create', actor: 'alice' },
    ]);
  });

  it('gives each event an ISO time, and bounds the list with pageSize', async () => {
    const { events: all } = await apiOk<{ events: EventView[] }>(
      base,
      'GET',
      '/repositories/alice/app/events?pageSize=2',
      200,
      { auth: alice },
    );
    expect(all.map((e) => e.type)).toEqual(['settings', 'delete']);
    for (const event of all) expect(new Date(event.at).toISOString()).toBe(event.at);
  });

  it("shows a public repository's events to anyone who may pull it, anonymous callers included", async () => {
    expect((await events('/repositories/alice/app/events', bob))[0]).toEqual({ type: 'settings', actor: 'alice' });
    expect((await events('/repositories/alice/app/events'))[0]).toEqual({ type: 'settings', actor: 'alice' });
  });

  it('answers 404 for a private repository of someone else or an unknown one, 400 for a bad pageSize', async () => {
    await apiOk(base, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'secret' } });
    await expectApiError(
      await api(base, 'GET', '/repositories/alice/secret/events', { auth: bob }),
      404,
      'NOT_FOUND',
      /repository "alice\/secret" does not exist/,
    );
    await expectApiError(
      await api(base, 'GET', '/repositories/alice/nope/events', { auth: ADMIN }),
      404,
      'NOT_FOUND',
      /repository "alice\/nope" does not exist/,
    );
    await expectApiError(
      await api(base, 'GET', '/repositories/alice/app/events?pageSize=-1', { auth: alice }),
      400,
      'INVALID_INPUT',
      /pageSize/,
    );
  });
});

describe('GET /api/v0/repositories/<namespace>/<repo>/tags', () => {
  it('lists tags with digest, media type, manifest size, layer size and push time', async () => {
    const layers = [randomBlob(1000), randomBlob(2345)];
    const image = await pushImageAs(base, alice, 'alice/tagged', 'v2', layers);
    const index = indexManifest([image]);
    expect((await putManifestAs(base, alice, 'alice/tagged', 'multi', index)).status).toBe(201);
    const tags = await apiOk<Array<Record<string, unknown>>>(base, 'GET', '/repositories/alice/tagged/tags', 200, {
      auth: alice,
    });
    expect(tags).toEqual([
      {
        name: 'multi',
        digest: index.digest,
        mediaType: index.mediaType,
        manifestSize: index.size,
        layersSize: 3345,
        // One platform (the index declares none): an index is sized per platform, never added up.
        platforms: [{ platform: 'unknown/unknown', digest: image.digest, compressedSize: 3345 }],
        pushedAt: expect.any(String),
      },
      {
        name: 'v2',
        digest: image.digest,
        mediaType: image.mediaType,
        manifestSize: image.size,
        layersSize: 3345,
        pushedAt: expect.any(String),
      },
    ]);
    expect(Date.now() - Date.parse(tags[1]!.pushedAt as string)).toBeLessThan(60_000);
  });

  it('pages with pageSize and X-Next-Page-Start', async () => {
    const res = await api(base, 'GET', '/repositories/alice/tagged/tags?pageSize=1', { auth: alice });
    expect(((await res.json()) as Array<{ name: string }>).map((t) => t.name)).toEqual(['multi']);
    expect(res.headers.get('x-next-page-start')).toBe('multi');
    const rest = await apiOk<Array<{ name: string }>>(
      base,
      'GET',
      '/repositories/alice/tagged/tags?pageSize=1&pageStart=multi',
      200,
      { auth: alice },
    );
    expect(rest.map((t) => t.name)).toEqual(['v2']);
  });

  it('answers 404 for a repository the caller may not pull, 400 for a bad pageSize', async () => {
    await expectApiError(
      await api(base, 'GET', '/repositories/alice/tagged/tags', { auth: bob }),
      404,
      'NOT_FOUND',
      /repository "alice\/tagged" does not exist/,
    );
    await expectApiError(
      await api(base, 'GET', '/repositories/alice/tagged/tags?pageSize=5000', { auth: alice }),
      400,
      'INVALID_INPUT',
      /pageSize/,
    );
  });
});

describe('immutable tags', () => {
  it('refuse a moved tag with 403 DENIED, allow re-pushing the same digest and new tags', async () => {
    await apiOk(base, 'POST', '/repositories/alice', 201, {
      auth: alice,
      body: { name: 'frozen', immutableTags: true },
    });
    const original = await pushImageAs(base, alice, 'alice/frozen', 'v1');
    expect((await putManifestAs(base, alice, 'alice/frozen', 'v1', original)).status).toBe(201);

    const layer = randomBlob(100);
    const other = imageManifest({ layers: [layer] });
    for (const blob of [other.config, layer]) {
      const res = await fetch(`${base}/v2/alice/frozen/blobs/uploads/?digest=${blob.digest}`, {
        method: 'POST',
        headers: { Authorization: alice },
        body: blob.bytes,
      });
      expect(res.status).toBe(201);
    }
    const refused = await expectOciError(await putManifestAs(base, alice, 'alice/frozen', 'v1', other), 403, 'DENIED');
    expect(refused.message).toMatch(
      /tag v1 is immutable in alice\/frozen: it already points to sha256:[0-9a-f]{64}; push a new tag instead/,
    );
    expect(
      (
        await fetch(`${base}/v2/alice/frozen/manifests/v1`, { method: 'HEAD', headers: { Authorization: alice } })
      ).headers.get('docker-content-digest'),
    ).toBe(original.digest);

    expect((await putManifestAs(base, alice, 'alice/frozen', 'v2', other)).status).toBe(201);
    const tags = await apiOk<Array<{ name: string; digest: string }>>(
      base,
      'GET',
      '/repositories/alice/frozen/tags',
      200,
      { auth: alice },
    );
    expect(tags.map((t) => [t.name, t.digest])).toEqual([
      ['v1', original.digest],
      ['v2', other.digest],
    ]);
    expect((await events('/repositories/alice/frozen/events', alice)).filter((e) => e.type === 'tag')).toEqual([]);
  });

  it('stop applying once the setting is turned off', async () => {
    await apiOk(base, 'PATCH', '/repositories/alice/frozen', 200, { auth: alice, body: { immutableTags: false } });
    const replacement = await pushImageAs(base, alice, 'alice/frozen', 'v1');
    expect(await events('/repositories/alice/frozen/events?pageSize=2', alice)).toEqual([
      { type: 'tag', actor: 'alice', tag: 'v1', digest: replacement.digest },
      { type: 'push', actor: 'alice', tag: 'v1', digest: replacement.digest },
    ]);
  });
});
