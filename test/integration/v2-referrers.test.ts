/**
 * The referrers API (distribution-spec "Listing Referrers"): an image index of the manifests
 * whose subject is a digest, with artifactType, annotations and the artifactType filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { blobOf, descriptor, imageManifest, randomBlob, sha256, type Blob } from '../helpers/oci-fixtures.js';
import {
  expectOciError,
  jsonBlob,
  pushBlob,
  pushImage,
  pushManifest,
  type PushedImage,
} from '../helpers/registry-http.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY_JSON = blobOf(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');
const SBOM = 'application/vnd.example.sbom.v1';
const SIGNATURE = 'application/vnd.example.signature.v1';
const REPO = 'refs/app';

let main: TestMain;
let subject: PushedImage;
/** Referrers of `subject`, by what distinguishes them. */
const refs: Record<'sbom' | 'signature' | 'configTyped' | 'index', Blob> = {} as never;

/** Pushes an artifact manifest pointing at `about`; the config decides its type when artifactType is absent. */
async function pushArtifact(
  name: string,
  about: { digest: string; size: number; mediaType: string },
  options: { artifactType?: string; config?: Blob; annotations?: Record<string, string> },
): Promise<Blob> {
  const layer = randomBlob(40, 'application/octet-stream');
  const config = options.config ?? EMPTY_JSON;
  for (const blob of [config, layer]) await pushBlob(main.url, name, blob);
  const manifest = imageManifest({
    layers: [layer],
    config,
    subject: about,
    ...(options.artifactType && { artifactType: options.artifactType }),
    ...(options.annotations && { annotations: options.annotations }),
  });
  await pushManifest(main.url, name, manifest.digest, manifest);
  return manifest;
}

beforeAll(async () => {
  main = await startTestMain();
  subject = await pushImage(main.url, REPO, 'v1');
  refs.sbom = await pushArtifact(REPO, subject.manifest, {
    artifactType: SBOM,
    annotations: { 'org.example.kind': 'sbom' },
  });
  refs.signature = await pushArtifact(REPO, subject.manifest, { artifactType: SIGNATURE });
  refs.configTyped = await pushArtifact(REPO, subject.manifest, {
    config: blobOf(Buffer.from('{"typed":true}'), 'application/vnd.example.config.v1+json'),
  });
  const child = await pushImage(main.url, REPO);
  const index = jsonBlob(
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      artifactType: SBOM,
      manifests: [descriptor(child.manifest)],
      subject: descriptor(subject.manifest),
      annotations: { 'org.example.kind': 'bundle' },
    },
    OCI_INDEX,
  );
  await pushManifest(main.url, REPO, index.digest, index);
  refs.index = index;
});
afterAll(async () => {
  await main.stop();
});

interface ReferrersIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: Array<{
    mediaType: string;
    digest: string;
    size: number;
    artifactType?: string;
    annotations?: Record<string, string>;
  }>;
}

const referrersUrl = (digest: string, query = '', name = REPO) => `${main.url}/v2/${name}/referrers/${digest}${query}`;

async function listReferrers(url: string): Promise<{ res: Response; index: ReferrersIndex }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(OCI_INDEX);
  return { res, index: (await res.json()) as ReferrersIndex };
}

const byDigest = (index: ReferrersIndex) => [...index.manifests].sort((a, b) => a.digest.localeCompare(b.digest));

describe('GET /v2/<name>/referrers/<digest>', () => {
  it('answers an index of every referrer with media type, digest, size, artifactType and annotations', async () => {
    const { res, index } = await listReferrers(referrersUrl(subject.manifest.digest));
    expect(res.headers.get('oci-filters-applied')).toBeNull();
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(OCI_INDEX);
    const expected = [
      {
        mediaType: OCI_MANIFEST,
        digest: refs.sbom.digest,
        size: refs.sbom.size,
        artifactType: SBOM,
        annotations: { 'org.example.kind': 'sbom' },
      },
      { mediaType: OCI_MANIFEST, digest: refs.signature.digest, size: refs.signature.size, artifactType: SIGNATURE },
      {
        mediaType: OCI_MANIFEST,
        digest: refs.configTyped.digest,
        size: refs.configTyped.size,
        artifactType: 'application/vnd.example.config.v1+json',
      },
      {
        mediaType: OCI_INDEX,
        digest: refs.index.digest,
        size: refs.index.size,
        artifactType: SBOM,
        annotations: { 'org.example.kind': 'bundle' },
      },
    ];
    expect(byDigest(index)).toEqual(expected.sort((a, b) => a.digest.localeCompare(b.digest)));
  });

  it('reports the config media type as artifactType when the manifest has none', async () => {
    const { index } = await listReferrers(referrersUrl(subject.manifest.digest));
    expect(index.manifests.find((m) => m.digest === refs.configTyped.digest)?.artifactType).toBe(
      'application/vnd.example.config.v1+json',
    );
  });

  it('omits artifactType for an index referrer that has none', async () => {
    const target = await pushImage(main.url, 'refs/untyped');
    const child = await pushImage(main.url, 'refs/untyped');
    const index = jsonBlob(
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [descriptor(child.manifest)],
        subject: descriptor(target.manifest),
      },
      OCI_INDEX,
    );
    await pushManifest(main.url, 'refs/untyped', index.digest, index);
    const listed = await listReferrers(referrersUrl(target.manifest.digest, '', 'refs/untyped'));
    expect(listed.index.manifests).toEqual([{ mediaType: OCI_INDEX, digest: index.digest, size: index.size }]);
  });

  it('filters by artifactType and says so in OCI-Filters-Applied', async () => {
    const { res, index } = await listReferrers(
      referrersUrl(subject.manifest.digest, `?artifactType=${encodeURIComponent(SBOM)}`),
    );
    expect(res.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(index.manifests.map((m) => m.digest).sort()).toEqual([refs.sbom.digest, refs.index.digest].sort());
    expect(index.manifests.every((m) => m.artifactType === SBOM)).toBe(true);
  });

  it('filters on the config media type of manifests without artifactType', async () => {
    const { index } = await listReferrers(
      referrersUrl(subject.manifest.digest, '?artifactType=application/vnd.example.config.v1%2Bjson'),
    );
    expect(index.manifests.map((m) => m.digest)).toEqual([refs.configTyped.digest]);
  });

  it('answers an empty filtered list, still with OCI-Filters-Applied, when no referrer has the type', async () => {
    const { res, index } = await listReferrers(
      referrersUrl(subject.manifest.digest, '?artifactType=application/vnd.example.none'),
    );
    expect(res.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(index.manifests).toEqual([]);
  });

  it('answers 200 with an empty index for a digest nothing refers to', async () => {
    const { index } = await listReferrers(referrersUrl(sha256(Buffer.from('lonely'))));
    expect(index).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
  });

  it('answers 200 with an empty index in a repository that does not exist (never 404)', async () => {
    const { index } = await listReferrers(referrersUrl(subject.manifest.digest, '', 'refs/nowhere'));
    expect(index.manifests).toEqual([]);
  });

  it('lists a referrer pushed before its subject existed', async () => {
    const future = imageManifest({ layers: [randomBlob(16)] });
    const early = await pushArtifact('refs/early', future, { artifactType: SIGNATURE });
    const { index } = await listReferrers(referrersUrl(future.digest, '', 'refs/early'));
    expect(index.manifests.map((m) => m.digest)).toEqual([early.digest]);
  });

  it('lists only referrers of the same repository', async () => {
    const other = await pushImage(main.url, 'refs/other', 'v1', {
      layers: subject.layers,
      config: subject.manifest.config,
    });
    expect(other.manifest.digest).toBe(subject.manifest.digest);
    const { index } = await listReferrers(referrersUrl(subject.manifest.digest, '', 'refs/other'));
    expect(index.manifests).toEqual([]);
  });

  it('lists referrers of a subject addressed by a sha512 digest', async () => {
    const about = { digest: `sha512:${'c'.repeat(128)}`, size: 10, mediaType: OCI_MANIFEST };
    const sig = await pushArtifact('refs/sha512', about, { artifactType: SIGNATURE });
    const { index } = await listReferrers(referrersUrl(about.digest, '', 'refs/sha512'));
    expect(index.manifests.map((m) => m.digest)).toEqual([sig.digest]);
  });

  it('drops a referrer once it is deleted', async () => {
    const target = await pushImage(main.url, 'refs/deleted');
    const sig = await pushArtifact('refs/deleted', target.manifest, { artifactType: SIGNATURE });
    expect((await fetch(`${main.url}/v2/refs/deleted/manifests/${sig.digest}`, { method: 'DELETE' })).status).toBe(202);
    const { index } = await listReferrers(referrersUrl(target.manifest.digest, '', 'refs/deleted'));
    expect(index.manifests).toEqual([]);
  });

  it('answers 400 DIGEST_INVALID for a malformed digest', async () => {
    for (const digest of ['latest', 'sha256:1234', `sha256:${'Z'.repeat(64)}`]) {
      await expectOciError(await fetch(referrersUrl(digest)), 400, 'DIGEST_INVALID');
    }
  });

  it('answers 400 NAME_INVALID for a malformed name', async () => {
    await expectOciError(await fetch(referrersUrl(subject.manifest.digest, '', 'Refs/App')), 400, 'NAME_INVALID');
  });
});
