/**
 * OCI distribution-spec v1.1 conformance, "Content Discovery" workflow category, written from
 * the spec's text ("Listing Tags", "Listing Referrers", "Pushing Manifests with Subject").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { blobOf, descriptor, imageManifest, randomBlob, sha256, type Blob } from '../helpers/oci-fixtures.js';
import {
  jsonBlob,
  pushBlob,
  pushImage,
  pushManifest,
  putManifest,
  type PushedImage,
} from '../helpers/registry-http.js';

const NAME = 'conformance/discovery';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY_JSON = blobOf(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');
const TYPE_A = 'application/vnd.example.type-a';
const TYPE_B = 'application/vnd.example.type-b';
const ANNOTATION = 'org.opencontainers.conformance.test';
const NUM_TAGS = 4;

let main: TestMain;
let subject: PushedImage;
/** Every referrer of `subject`, with the annotation value each one carries. */
const referrers: Array<{ manifest: Blob; annotation: string; artifactType: string }> = [];
let danglingSubject: string;
let danglingReferrer: Blob;

interface ReferrersIndex {
  mediaType: string;
  manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }>;
}

beforeAll(async () => {
  main = await startTestMain();
});
afterAll(async () => {
  await main.stop();
});

describe('Content discovery: setup', () => {
  it('pushes an image under several tags', async () => {
    subject = await pushImage(main.url, NAME, 'test0');
    for (let i = 1; i < NUM_TAGS; i++) await pushManifest(main.url, NAME, `test${i}`, subject.manifest);
  });

  it('pushes referrers (typed by config, by artifactType, and an index) and each answers OCI-Subject', async () => {
    await pushBlob(main.url, NAME, EMPTY_JSON);
    const push = async (manifest: Blob, annotation: string, artifactType: string) => {
      const res = await putManifest(main.url, NAME, manifest.digest, manifest);
      expect(res.status).toBe(201);
      expect(res.headers.get('oci-subject')).toBe(subject.manifest.digest);
      referrers.push({ manifest, annotation, artifactType });
    };
    for (const [i, type] of [TYPE_A, TYPE_B].entries()) {
      const layer = randomBlob(20);
      const typedConfig = blobOf(Buffer.from(`{"n":${i}}`), type);
      for (const blob of [layer, typedConfig]) await pushBlob(main.url, NAME, blob);
      const byConfig = `config ${i}`;
      await push(
        imageManifest({
          layers: [layer],
          config: typedConfig,
          subject: subject.manifest,
          annotations: { [ANNOTATION]: byConfig },
        }),
        byConfig,
        type,
      );
      const byField = `artifactType ${i}`;
      await push(
        imageManifest({
          layers: [layer],
          config: EMPTY_JSON,
          artifactType: type,
          subject: subject.manifest,
          annotations: { [ANNOTATION]: byField },
        }),
        byField,
        type,
      );
    }
    const index = jsonBlob(
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        artifactType: TYPE_B,
        manifests: [descriptor(subject.manifest)],
        subject: descriptor(subject.manifest),
        annotations: { [ANNOTATION]: 'index' },
      },
      OCI_INDEX,
    );
    await push(index, 'index', TYPE_B);
  });

  it('pushes a referrer whose subject does not exist', async () => {
    danglingSubject = sha256(Buffer.from('a manifest never pushed'));
    const layer = randomBlob(20);
    await pushBlob(main.url, NAME, layer);
    danglingReferrer = imageManifest({
      layers: [layer],
      config: EMPTY_JSON,
      artifactType: TYPE_A,
      subject: { digest: danglingSubject, size: 100, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const res = await putManifest(main.url, NAME, danglingReferrer.digest, danglingReferrer);
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(danglingSubject);
  });
});

describe('Content discovery: listing tags', () => {
  let tags: string[];

  it('GET tags/list answers 200 with every tag', async () => {
    const res = await fetch(`${main.url}/v2/${NAME}/tags/list`);
    expect(res.status).toBe(200);
    tags = ((await res.json()) as { tags: string[] }).tags;
    expect(tags).toEqual(['test0', 'test1', 'test2', 'test3']);
  });

  it('limits the number of tags with n', async () => {
    const res = await fetch(`${main.url}/v2/${NAME}/tags/list?n=${NUM_TAGS / 2}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { tags: string[] }).tags).toEqual(tags.slice(0, NUM_TAGS / 2));
    expect(res.headers.get('link')).toBe(`</v2/${NAME}/tags/list?n=2&last=${tags[1]}>; rel="next"`);
  });

  it('starts after last', async () => {
    const res = await fetch(`${main.url}/v2/${NAME}/tags/list?n=${NUM_TAGS / 2}&last=${tags[NUM_TAGS / 2 - 1]}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { tags: string[] }).tags).toEqual(tags.slice(NUM_TAGS / 2));
    expect(res.headers.get('link')).toBeNull();
  });
});

describe('Content discovery: listing referrers', () => {
  const list = async (digest: string, query = '') => {
    const res = await fetch(`${main.url}/v2/${NAME}/referrers/${digest}${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCI_INDEX);
    return { res, index: (await res.json()) as ReferrersIndex };
  };

  it('answers 200 with an empty index for a digest nothing refers to', async () => {
    const { index } = await list(sha256(Buffer.from('dummy')));
    expect(index.manifests).toEqual([]);
  });

  it('answers every referrer of an existing manifest with its annotations and artifactType', async () => {
    const { index } = await list(subject.manifest.digest);
    expect(index.manifests).toHaveLength(referrers.length);
    for (const ref of referrers) {
      const listed = index.manifests.find((m) => m.digest === ref.manifest.digest);
      expect(listed, ref.annotation).toBeDefined();
      expect(listed!.annotations).toEqual({ [ANNOTATION]: ref.annotation });
      expect(listed!.artifactType).toBe(ref.artifactType);
    }
  });

  it('applies the artifactType filter and answers OCI-Filters-Applied: artifactType', async () => {
    const { res, index } = await list(subject.manifest.digest, `?artifactType=${encodeURIComponent(TYPE_A)}`);
    expect(res.headers.get('oci-filters-applied')).toBe('artifactType');
    const expected = referrers.filter((r) => r.artifactType === TYPE_A).map((r) => r.manifest.digest);
    expect(expected).toHaveLength(2);
    expect(index.manifests.map((m) => m.digest).sort()).toEqual(expected.sort());
  });

  it('answers the referrer of a subject that was never pushed', async () => {
    const { index } = await list(danglingSubject);
    expect(index.manifests.map((m) => m.digest)).toEqual([danglingReferrer.digest]);
  });
});

describe('Content discovery: teardown', () => {
  it('deletes the referrers, then the subject answers an empty referrers index', async () => {
    for (const ref of referrers) {
      expect(
        (await fetch(`${main.url}/v2/${NAME}/manifests/${ref.manifest.digest}`, { method: 'DELETE' })).status,
      ).toBe(202);
    }
    const res = await fetch(`${main.url}/v2/${NAME}/referrers/${subject.manifest.digest}`);
    expect(((await res.json()) as ReferrersIndex).manifests).toEqual([]);
  });
});
