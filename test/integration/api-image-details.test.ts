/**
 * Image details through the management API: `GET /api/v0/repositories/<ns>/<repo>/tags/<tag>`
 * and `.../manifests/<digest>`, on images pushed through the registry (test/helpers/image-fixtures.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, apiOk, createUser, expectApiError, putManifestAs } from '../helpers/api-client.js';
import {
  CHART_CONFIG,
  pushDetailsFixtures,
  SBOM_TYPE,
  SIGNATURE_TYPE,
  type DetailsFixtures,
} from '../helpers/image-fixtures.js';

let main: TestMain;
let base: string;
let alice: string;
let bob: string;
let f: DetailsFixtures;

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field
type Json = any;

const details = (path: string, auth: string | undefined = alice): Promise<Json> =>
  apiOk(base, 'GET', `/repositories/alice/app${path}`, 200, auth === undefined ? {} : { auth });

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  base = main.url;
  alice = await createUser(base, 'alice');
  bob = await createUser(base, 'bob');
  await apiOk(base, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'app' } });
  f = await pushDetailsFixtures(base, alice, 'alice/app');
});
afterAll(async () => {
  await main.stop();
});

describe('GET /api/v0/repositories/<ns>/<repo>/tags/<tag> of a Docker schema 2 image', () => {
  it('gives the platform, created, author, entrypoint, cmd, ports, labels, user and working dir', async () => {
    const web = await details('/tags/web');
    expect(web).toMatchObject({
      tag: 'web',
      digest: f.web.digest,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      manifestSize: f.web.size,
      kind: 'image',
      artifacts: [],
    });
    expect(web.platforms).toHaveLength(1);
    const [image] = web.platforms;
    expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(image.config).toMatchObject({
      state: 'available',
      os: 'linux',
      architecture: 'amd64',
      created: '2026-11-02T08:30:00Z',
      author: 'Alice <alice@example.com>',
      user: 'app',
      workingDir: '/srv/app',
      entrypoint: ['/srv/app/run'],
      cmd: ['--port', '8080'],
      exposedPorts: ['53/udp', '8080/tcp'],
      labels: { 'org.opencontainers.image.source': 'https://example.com/web', maintainer: 'alice' },
    });
  });

  it('masks the values of secret-looking variables, keeping their names, and shows the rest', async () => {
    const [image] = (await details('/tags/web')).platforms;
    expect(image.config.env).toEqual([
      { name: 'PATH', value: '/usr/local/bin:/usr/bin:/bin', masked: false },
      { name: 'APP_HOME', value: '/srv/app', masked: false },
      { name: 'DB_PASSWORD', value: '********', masked: true },
      { name: 'GITHUB_TOKEN', value: '********', masked: true },
      { name: 'AWS_SECRET_ACCESS_KEY', value: '********', masked: true },
      { name: 'API_KEY', value: '********', masked: true },
      { name: 'LOG_LEVEL', value: 'info', masked: false },
    ]);
    const raw = JSON.stringify(await details('/tags/web'));
    for (const secret of ['hunter2', 'ghp_notarealtoken', 'wJalrXUtnFEMI', 'k-123']) expect(raw).not.toContain(secret);
  });

  it('lines up each history step with the layer it produced; empty-layer steps have none', async () => {
    const [image] = (await details('/tags/web')).platforms;
    const layer = (i: number) => ({
      digest: f.web.layers[i]!.digest,
      mediaType: f.web.layers[i]!.mediaType,
      size: 1000 * (i + 1),
      index: i,
    });
    expect(image.history.map((s: Json) => [s.createdBy, s.emptyLayer, s.layer])).toEqual([
      ['/bin/sh -c #(nop) ADD file:4b03b5f551e3 in / ', false, layer(0)],
      ['/bin/sh -c #(nop)  CMD ["sh"]', true, undefined],
      ['ENV APP_HOME=/srv/app', true, undefined],
      ['RUN /bin/sh -c apt-get install -y curl # buildkit', false, layer(1)],
      ['EXPOSE map[8080/tcp:{}]', true, undefined],
      ['COPY app /srv/app # buildkit', false, layer(2)],
      ['ENTRYPOINT ["/srv/app/run"]', true, undefined],
    ]);
    expect(image.history[0].created).toBe('2026-11-01T10:00:00Z');
    expect(image.history[2].comment).toBe('buildkit.dockerfile.v0');
  });

  it('gives each layer its compressed size and the total, and the referrers (an SBOM)', async () => {
    const web = await details('/tags/web');
    const [image] = web.platforms;
    expect(image.layers.map((l: Json) => l.size)).toEqual([1000, 2000, 3000]);
    expect(image.compressedSize).toBe(6000);
    expect(web.referrers).toEqual([
      { digest: f.sbom.digest, mediaType: f.sbom.mediaType, size: f.sbom.size, artifactType: SBOM_TYPE },
    ]);
    expect(image.referrers).toEqual(web.referrers);
  });
});

describe('GET /api/v0/repositories/<ns>/<repo>/tags/<tag> of an index', () => {
  it('describes each platform separately, with its own compressed size; the attestation is an artifact', async () => {
    const multi = await details('/tags/multi');
    expect(multi).toMatchObject({ kind: 'index', digest: f.multi.digest, mediaType: f.multi.mediaType });
    expect(
      multi.platforms.map((p: Json) => [p.digest, p.platform, p.compressedSize, p.layers.map((l: Json) => l.size)]),
    ).toEqual([
      [f.amd64.digest, { os: 'linux', architecture: 'amd64' }, 4000, [1500, 2500]],
      [f.arm64.digest, { os: 'linux', architecture: 'arm64', variant: 'v8' }, 1200, [1200]],
    ]);
    expect(multi.platforms[1].config).toMatchObject({ state: 'available', architecture: 'arm64', variant: 'v8' });
    // A config without history: the layers alone, each a step without a command.
    expect(multi.platforms[0].history).toEqual([
      { emptyLayer: false, layer: { ...multi.platforms[0].layers[0], index: 0 } },
      { emptyLayer: false, layer: { ...multi.platforms[0].layers[1], index: 1 } },
    ]);
    expect(multi.artifacts.map((a: Json) => [a.digest, a.configMediaType])).toEqual([
      [f.attestation.digest, 'application/vnd.oci.image.config.v1+json'],
    ]);
    expect(multi.referrers.map((r: Json) => [r.digest, r.artifactType])).toEqual([
      [f.multiSignature.digest, SIGNATURE_TYPE],
    ]);
  });

  it('answers the same for .../manifests/<digest>, and a platform by its own digest', async () => {
    const { tag: _tag, ...byTag } = await details('/tags/multi');
    expect(await details(`/manifests/${f.multi.digest}`)).toEqual(byTag);
    const arm = await details(`/manifests/${f.arm64.digest}`);
    expect(arm).toMatchObject({ kind: 'image', digest: f.arm64.digest });
    expect(arm.platforms[0].platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  });

  it('lists the tag with the largest platform as its size and each platform with its own', async () => {
    const tags: Json[] = await apiOk(base, 'GET', '/repositories/alice/app/tags', 200, { auth: alice });
    const multi = tags.find((t) => t.name === 'multi');
    expect(multi.layersSize).toBe(4000);
    expect(multi.platforms).toEqual([
      { platform: 'linux/amd64', digest: f.amd64.digest, compressedSize: 4000 },
      { platform: 'linux/arm64/v8', digest: f.arm64.digest, compressedSize: 1200 },
    ]);
    const web = tags.find((t) => t.name === 'web');
    expect(web.layersSize).toBe(6000);
    expect(web.platforms).toBeUndefined();
  });
});

describe('GET /api/v0/repositories/<ns>/<repo>/tags/<tag> of an artifact', () => {
  it('shows a manifest whose config is not an image config as an artifact, with its referrers', async () => {
    const chart = await details('/tags/chart');
    expect(chart).toMatchObject({ kind: 'artifact', platforms: [] });
    expect(chart.artifacts).toEqual([
      {
        digest: f.chart.digest,
        mediaType: f.chart.mediaType,
        manifestSize: f.chart.size,
        artifactType: CHART_CONFIG,
        configMediaType: CHART_CONFIG,
        blobs: [
          { digest: expect.any(String), mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', size: 700 },
        ],
        referrers: [expect.objectContaining({ digest: f.chartSignature.digest, artifactType: SIGNATURE_TYPE })],
      },
    ]);
  });

  it('shows a referrer by digest as an artifact naming its subject', async () => {
    const sbom = await details(`/manifests/${f.sbom.digest}`);
    expect(sbom.kind).toBe('artifact');
    expect(sbom.artifacts[0]).toMatchObject({ artifactType: SBOM_TYPE, subject: f.web.digest });
  });
});

describe('details unavailable', () => {
  it('reports a config that is not JSON as unavailable, with the layers still listed', async () => {
    const [image] = (await details('/tags/broken')).platforms;
    expect(image.config).toEqual({ state: 'unavailable', reason: 'the config blob is not a JSON object' });
    expect(image.platform).toEqual({ os: 'unknown', architecture: 'unknown' });
    expect(image.history).toEqual([{ emptyLayer: false, layer: { ...image.layers[0], index: 0 } }]);
    expect(image.compressedSize).toBe(100);
  });

  it('does not read a config over 4 MiB', async () => {
    const [image] = (await details('/tags/huge')).platforms;
    expect(image.config).toEqual({ state: 'unavailable', reason: 'the config blob is larger than 4194304 bytes' });
  });
});

describe('limits', () => {
  it('describes at most 64 manifests of an index and says it left the rest out', async () => {
    const entry = { mediaType: f.arm64.mediaType, digest: f.arm64.digest, size: f.arm64.size };
    const body = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array.from({ length: 65 }, () => entry) };
    const res = await putManifestAs(base, alice, 'alice/app', 'wide', {
      bytes: Buffer.from(JSON.stringify(body)),
      mediaType: OCI_INDEX,
    });
    expect(res.status, await res.text()).toBe(201);
    const wide = await details('/tags/wide');
    expect(wide.platforms).toHaveLength(64);
    expect(wide.truncated).toBe(true);
    expect((await details('/tags/multi')).truncated).toBeUndefined();
  });
});

describe('access to image details', () => {
  it('refuses an anonymous caller and another user as if the private repository did not exist', async () => {
    for (const auth of [undefined, bob]) {
      for (const path of ['/tags/web', `/manifests/${f.web.digest}`]) {
        await expectApiError(
          await api(base, 'GET', `/repositories/alice/app${path}`, auth === undefined ? {} : { auth }),
          404,
          'NOT_FOUND',
          /repository "alice\/app" does not exist/,
        );
      }
    }
  });

  it('answers whoever may pull: an admin, and anyone once the repository is public', async () => {
    expect((await details('/tags/web', ADMIN)).digest).toBe(f.web.digest);
    await apiOk(base, 'PATCH', '/repositories/alice/app', 200, { auth: alice, body: { visibility: 'public' } });
    try {
      expect((await details('/tags/web', bob)).digest).toBe(f.web.digest);
      expect((await details(`/manifests/${f.web.digest}`, undefined)).digest).toBe(f.web.digest);
    } finally {
      await apiOk(base, 'PATCH', '/repositories/alice/app', 200, { auth: alice, body: { visibility: 'private' } });
    }
  });

  it('answers 404 for an unknown tag or digest, 400 for a malformed digest or tag', async () => {
    const call = (path: string) => api(base, 'GET', `/repositories/alice/app${path}`, { auth: alice });
    await expectApiError(await call('/tags/nope'), 404, 'NOT_FOUND', /tag "nope" does not exist in "alice\/app"/);
    await expectApiError(await call(`/manifests/sha256:${'0'.repeat(64)}`), 404, 'NOT_FOUND', /does not exist/);
    await expectApiError(await call('/manifests/sha256:abc'), 400, 'INVALID_INPUT', /a digest is sha256/);
    await expectApiError(await call('/tags/-bad'), 400, 'INVALID_INPUT', /a tag is/);
  });
});
