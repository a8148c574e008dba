import { describe, expect, it } from 'vitest';
import { effectiveArtifactType, parseManifest, type Manifest } from '../../../src/oci/manifest.js';
import { MediaType } from '../../../src/oci/media-types.js';
import { OciError } from '../../../src/oci/errors.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const CONFIG = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 120 };
const LAYER = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('1'), size: 1000 };
const CHILD = {
  mediaType: MediaType.OciManifest,
  digest: d('2'),
  size: 500,
  platform: { os: 'linux', architecture: 'arm64' },
};

const bytes = (body: unknown): Uint8Array => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
const image = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: CONFIG,
  layers: [LAYER],
  ...extra,
});
const index = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: MediaType.OciIndex,
  manifests: [CHILD],
  ...extra,
});

function invalid(body: unknown, contentType: string | undefined = undefined): OciError {
  try {
    parseManifest(bytes(body), contentType);
  } catch (err) {
    expect(err).toBeInstanceOf(OciError);
    const oci = err as OciError;
    expect(oci.code).toBe('MANIFEST_INVALID');
    expect(oci.status).toBe(400);
    return oci;
  }
  throw new Error('parseManifest accepted an invalid manifest');
}

describe('parseManifest', () => {
  describe('accepts', () => {
    it('an OCI image manifest, keeping config and layers as descriptors', () => {
      expect(parseManifest(bytes(image()), MediaType.OciManifest)).toEqual({
        kind: 'image',
        mediaType: MediaType.OciManifest,
        config: CONFIG,
        layers: [LAYER],
      });
    });

    it('an OCI image index, keeping each entry with its platform', () => {
      expect(parseManifest(bytes(index()), MediaType.OciIndex)).toEqual({
        kind: 'index',
        mediaType: MediaType.OciIndex,
        manifests: [CHILD],
      });
    });

    it('a Docker schema 2 manifest and a Docker manifest list', () => {
      const docker = parseManifest(bytes(image({ mediaType: MediaType.DockerManifest })), MediaType.DockerManifest);
      expect(docker.kind).toBe('image');
      expect(docker.mediaType).toBe(MediaType.DockerManifest);
      const list = parseManifest(
        bytes(index({ mediaType: MediaType.DockerManifestList })),
        MediaType.DockerManifestList,
      );
      expect(list.kind).toBe('index');
      expect(list.mediaType).toBe(MediaType.DockerManifestList);
    });

    it('a body without mediaType, taking it from a specific Content-Type', () => {
      const { mediaType: _, ...body } = index({ mediaType: MediaType.DockerManifestList });
      const manifest = parseManifest(bytes(body), MediaType.DockerManifestList);
      expect(manifest).toMatchObject({ kind: 'index', mediaType: MediaType.DockerManifestList });
    });

    it('a body without mediaType under a generic Content-Type, as an OCI manifest or index by its fields', () => {
      const { mediaType: _i, ...imageBody } = image();
      const { mediaType: _x, ...indexBody } = index();
      expect(parseManifest(bytes(imageBody), 'application/json').mediaType).toBe(MediaType.OciManifest);
      expect(parseManifest(bytes(indexBody), undefined).mediaType).toBe(MediaType.OciIndex);
    });

    it('a Content-Type with parameters and different letter case', () => {
      const manifest = parseManifest(bytes(image()), 'Application/VND.OCI.Image.Manifest.v1+JSON; charset=utf-8');
      expect(manifest.mediaType).toBe(MediaType.OciManifest);
    });

    it('subject, artifactType and annotations at the top level', () => {
      const subject = { mediaType: MediaType.OciManifest, digest: d('9'), size: 42 };
      const manifest = parseManifest(
        bytes(image({ subject, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example': 'x' } })),
        MediaType.OciManifest,
      );
      expect(manifest).toMatchObject({
        subject,
        artifactType: 'application/vnd.example.sbom',
        annotations: { 'org.example': 'x' },
      });
    });

    it('optional descriptor fields: artifactType, annotations and urls', () => {
      const layer = {
        ...LAYER,
        artifactType: 'application/vnd.example',
        annotations: { a: 'b' },
        urls: ['https://example.com/l'],
      };
      const manifest = parseManifest(bytes(image({ layers: [layer] })), MediaType.OciManifest);
      expect(manifest.kind === 'image' && manifest.layers).toEqual([layer]);
    });

    it('drops descriptor fields it does not know', () => {
      const manifest = parseManifest(bytes(image({ config: { ...CONFIG, data: 'e30=', extra: 1 } })), undefined);
      expect(manifest.kind === 'image' && manifest.config).toEqual(CONFIG);
    });

    it('a view into a larger buffer, reading only its bytes', () => {
      const json = bytes(image());
      const padded = new Uint8Array(json.byteLength + 10);
      padded.set(json, 5);
      expect(parseManifest(padded.subarray(5, 5 + json.byteLength), undefined).kind).toBe('image');
    });
  });

  describe('rejects with MANIFEST_INVALID', () => {
    it('bytes that are not JSON', () => {
      expect(invalid('{"schemaVersion": 2,').message).toBe('manifest is not valid JSON');
    });

    it('JSON that is not an object', () => {
      expect(invalid([image()]).message).toBe('manifest must be a JSON object');
      expect(invalid('null').message).toBe('manifest must be a JSON object');
    });

    it('a schemaVersion other than 2', () => {
      expect(invalid(image({ schemaVersion: 1 })).message).toBe('schemaVersion must be 2');
      expect(invalid(image({ schemaVersion: '2' })).message).toBe('schemaVersion must be 2');
    });

    it('a mediaType that is not a string', () => {
      expect(invalid(image({ mediaType: 7 })).message).toBe('mediaType must be a string');
    });

    it('a Content-Type that contradicts the body mediaType', () => {
      expect(invalid(image(), MediaType.DockerManifest).message).toBe(
        `Content-Type ${MediaType.DockerManifest} does not match the manifest's mediaType ${MediaType.OciManifest}`,
      );
    });

    it('a mediaType that is not a manifest type, listing the supported ones', () => {
      const err = invalid(image({ mediaType: CONFIG.mediaType }));
      expect(err.message).toBe(`unsupported manifest media type ${CONFIG.mediaType}`);
      expect(err.detail).toEqual({
        supported: [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList],
      });
    });

    it('a Content-Type that is neither a manifest type nor application/json', () => {
      expect(invalid(image(), 'text/plain').message).toBe('unsupported Content-Type text/plain for a manifest');
    });

    it('an index with config or layers', () => {
      expect(invalid(index({ layers: [LAYER] })).message).toBe('an index must not have config or layers');
      expect(invalid(index({ config: CONFIG })).message).toBe('an index must not have config or layers');
    });

    it('an image manifest with manifests', () => {
      expect(invalid(image({ manifests: [CHILD] })).message).toBe('an image manifest must not have manifests');
    });

    it('an index whose manifests is not a list', () => {
      expect(invalid(index({ manifests: CHILD })).message).toBe('manifests must be a list');
    });

    it('an image manifest without config', () => {
      expect(invalid(image({ config: undefined })).message).toBe('config must be a descriptor object');
    });

    it('layers that are not a list', () => {
      expect(invalid(image({ layers: LAYER })).message).toBe('layers must be a list');
    });

    it('a descriptor with an invalid digest, naming its position and echoing the digest', () => {
      const err = invalid(image({ layers: [LAYER, { ...LAYER, digest: 'sha256:short' }] }));
      expect(err.message).toBe('layers[1].digest is not a valid digest');
      expect(err.detail).toEqual({ digest: 'sha256:short' });
    });

    it('a descriptor with an empty or missing mediaType', () => {
      expect(invalid(image({ layers: [{ ...LAYER, mediaType: '' }] })).message).toBe(
        'layers[0].mediaType must be a string',
      );
      expect(invalid(index({ manifests: [{ digest: d('2'), size: 1 }] })).message).toBe(
        'manifests[0].mediaType must be a string',
      );
    });

    it.each([
      ['negative', -1],
      ['fractional', 1.5],
      ['a string', '10'],
      ['beyond the safe integer range', 2 ** 53],
    ])('a descriptor size that is %s', (_, size) => {
      expect(invalid(image({ config: { ...CONFIG, size } })).message).toBe(
        'config.size must be a non-negative integer',
      );
    });

    it('a descriptor artifactType that is not a string', () => {
      expect(invalid(image({ config: { ...CONFIG, artifactType: 1 } })).message).toBe(
        'config.artifactType must be a string',
      );
    });

    it('descriptor urls that are not a list of strings', () => {
      expect(invalid(image({ layers: [{ ...LAYER, urls: 'https://x' }] })).message).toBe(
        'layers[0].urls must be a list of strings',
      );
      expect(invalid(image({ layers: [{ ...LAYER, urls: [1] }] })).message).toBe(
        'layers[0].urls must be a list of strings',
      );
    });

    it('annotations that are not a map of strings, at the top level and on descriptors', () => {
      expect(invalid(image({ annotations: { a: 1 } })).message).toBe('manifest.annotations must be a map of strings');
      expect(invalid(image({ annotations: ['a'] })).message).toBe('manifest.annotations must be a map of strings');
      expect(invalid(image({ layers: [{ ...LAYER, annotations: { a: true } }] })).message).toBe(
        'layers[0].annotations must be a map of strings',
      );
    });

    it('a top-level artifactType that is not a string', () => {
      expect(invalid(image({ artifactType: {} })).message).toBe('artifactType must be a string');
    });

    it('a subject that is not a descriptor', () => {
      expect(invalid(image({ subject: 'sha256:abc' })).message).toBe('subject must be a descriptor object');
      expect(invalid(image({ subject: { ...CONFIG, digest: 'nope' } })).message).toBe(
        'subject.digest is not a valid digest',
      );
    });
  });
});

describe('effectiveArtifactType', () => {
  const parse = (body: unknown): Manifest => parseManifest(bytes(body), undefined);

  it('is the explicit artifactType when the manifest has one', () => {
    expect(effectiveArtifactType(parse(image({ artifactType: 'application/vnd.example.sig' })))).toBe(
      'application/vnd.example.sig',
    );
    expect(effectiveArtifactType(parse(index({ artifactType: 'application/vnd.example.set' })))).toBe(
      'application/vnd.example.set',
    );
  });

  it("is the config's media type for an image manifest without artifactType", () => {
    expect(effectiveArtifactType(parse(image()))).toBe(CONFIG.mediaType);
  });

  it('is undefined for an index without artifactType', () => {
    expect(effectiveArtifactType(parse(index()))).toBeUndefined();
  });
});
