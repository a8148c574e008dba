import { describe, expect, it } from 'vitest';
import { digestOf } from '../../../src/oci/digest.js';
import type { Descriptor, Manifest } from '../../../src/oci/manifest.js';
import { MediaType } from '../../../src/oci/media-types.js';
import type { OciError } from '../../../src/oci/errors.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { MainClientError, type FetchedManifest, type MainClient } from '../../../edge/cache/main-client.js';
import { parseWarmReference, planWarm } from '../../../edge/cache/warm.js';

const digest = (label: string) => digestOf(Buffer.from(label));
const blob = (label: string, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'): Descriptor => ({
  mediaType,
  digest: digest(label),
  size: label.length,
});

function image(config: string, layers: Descriptor[]): Manifest {
  return {
    kind: 'image',
    mediaType: MediaType.OciManifest,
    config: blob(config, 'application/vnd.oci.image.config.v1+json'),
    layers,
  };
}
function index(children: string[]): Manifest {
  return {
    kind: 'index',
    mediaType: MediaType.OciIndex,
    manifests: children.map((c) => ({ mediaType: MediaType.OciManifest, digest: digest(c), size: 1 })),
  };
}

/** A main with manifests by tag or by the digest of a label, and a record of what was asked. */
function fakeMain(manifests: Record<string, Manifest>, tags: string[] = [], { open = false } = {}) {
  const token = open ? undefined : 'registry-token';
  const asked: Array<{ reference: string; token: string | undefined }> = [];
  const byKey = new Map<string, FetchedManifest>();
  for (const [label, manifest] of Object.entries(manifests)) {
    const entry = { digest: digest(label), size: 1, manifest };
    byKey.set(label, entry);
    byKey.set(digest(label), entry);
  }
  const client: MainClient = {
    pullToken: async () => token,
    async manifest(_name, reference, t) {
      asked.push({ reference, token: t });
      const found = byKey.get(reference);
      if (!found) throw new MainClientError('OUTPOST_MAIN_NOT_FOUND', `manifest ${reference} not found on main`);
      return found;
    },
    tags: async () => tags,
  };
  return { client, asked };
}

const digestsOf = (blobs: Descriptor[]) => blobs.map((b) => b.digest);

describe('parseWarmReference', () => {
  it('splits name:tag, name@digest, and takes a bare name as every tag', () => {
    expect(parseWarmReference('team/app:1.0')).toEqual({ name: 'team/app', reference: '1.0' });
    const d = digest('x');
    expect(parseWarmReference(`team/app@${d}`)).toEqual({ name: 'team/app', reference: d });
    expect(parseWarmReference('team/app')).toEqual({ name: 'team/app' });
  });

  it('refuses invalid names, tags and digests with the OCI error for each', () => {
    const codeOf = (value: string) => {
      try {
        parseWarmReference(value);
      } catch (err) {
        return (err as OciError).code;
      }
      return undefined;
    };
    expect(codeOf('Team/App:1.0')).toBe('NAME_INVALID');
    expect(codeOf('team/app:.bad')).toBe('MANIFEST_INVALID');
    expect(codeOf('team/app@sha256:abc')).toBe('DIGEST_INVALID');
    expect(codeOf('team/app@latest')).toBe('DIGEST_INVALID');
    expect(codeOf('../etc:1')).toBe('NAME_INVALID');
  });
});

describe('planWarm', () => {
  it("lists an image's config and layers, each once, and passes main's token along", async () => {
    const shared = blob('shared');
    const { client, asked } = fakeMain({ '1.0': image('config', [shared, blob('top'), shared]) });
    const plan = await planWarm(client, { reference: 'team/app:1.0' });
    expect(plan.name).toBe('team/app' as RepoName);
    expect(digestsOf(plan.blobs)).toEqual([digest('config'), digest('shared'), digest('top')]);
    expect(plan.manifests).toEqual([digest('1.0')]);
    expect(plan.token).toBe('registry-token');
    expect(asked).toEqual([{ reference: '1.0', token: 'registry-token' }]);
  });

  it('skips foreign and non-distributable layers, which main does not hold', async () => {
    const { client } = fakeMain({
      win: image('config', [
        blob('foreign', MediaType.DockerForeignLayer),
        blob('nondist', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip'),
        blob('own'),
      ]),
    });
    expect(digestsOf((await planWarm(client, { reference: 'team/app:win' })).blobs)).toEqual([
      digest('config'),
      digest('own'),
    ]);
  });

  it("follows an index to every child manifest, and children's children", async () => {
    const { client } = fakeMain({
      latest: index(['amd64', 'nested']),
      amd64: image('config-amd64', [blob('base')]),
      nested: index(['arm64']),
      arm64: image('config-arm64', [blob('base'), blob('arm-only')]),
    });
    const plan = await planWarm(client, { reference: 'team/app:latest' });
    expect(plan.manifests).toEqual([digest('latest'), digest('amd64'), digest('nested'), digest('arm64')]);
    expect(digestsOf(plan.blobs)).toEqual([
      digest('config-amd64'),
      digest('base'),
      digest('config-arm64'),
      digest('arm-only'),
    ]);
  });

  it('reads every tag for a bare name, and each manifest once even when tags share it', async () => {
    const shared = image('config', [blob('layer')]);
    const { client, asked } = fakeMain({ '1.0': shared, '2.0': image('config-2', [blob('layer')]), latest: shared }, [
      '1.0',
      '2.0',
      'latest',
    ]);
    const plan = await planWarm(client, { reference: 'team/app' });
    expect(asked.map((a) => a.reference)).toEqual(['1.0', '2.0', 'latest']);
    expect(plan.manifests).toHaveLength(3);
    expect(digestsOf(plan.blobs)).toEqual([digest('config'), digest('layer'), digest('config-2')]);
  });

  it('asks without a token when main is open', async () => {
    const { client, asked } = fakeMain({ v1: image('config', []) }, [], { open: true });
    const plan = await planWarm(client, { reference: 'team/app:v1' });
    expect(plan.token).toBeUndefined();
    expect(asked[0]!.token).toBeUndefined();
  });

  it("passes main's failures on", async () => {
    const { client } = fakeMain({});
    await expect(planWarm(client, { reference: 'team/app:missing' })).rejects.toMatchObject({
      code: 'OUTPOST_MAIN_NOT_FOUND',
    });
  });

  it('gives an empty plan for a repository without tags', async () => {
    const { client } = fakeMain({}, []);
    const plan = await planWarm(client, { reference: 'team/app' });
    expect([plan.manifests, plan.blobs]).toEqual([[], []]);
  });
});
