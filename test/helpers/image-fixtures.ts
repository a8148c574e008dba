/**
 * The images the image-details tests push (API and web): a Docker schema 2 image whose history
 * has empty-layer steps and whose env holds secrets; an OCI index of two platforms and a BuildKit
 * attestation; a Helm-chart-like artifact; referrers (an SBOM, signatures); and two images whose
 * config cannot be shown (malformed JSON, larger than the 4 MiB limit).
 */
import { expect } from 'vitest';
import { blobOf, descriptor, imageManifest, randomBlob, type Blob } from './oci-fixtures.js';
import { putManifestAs } from './api-client.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY_JSON = blobOf(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');
export const SBOM_TYPE = 'application/spdx+json';
export const SIGNATURE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const CHART_CONFIG = 'application/vnd.cncf.helm.config.v1+json';

const json = (value: unknown, mediaType: string) => blobOf(Buffer.from(JSON.stringify(value)), mediaType);

/** The single-platform image's config: what `docker build` of a small Dockerfile writes. */
export const WEB_CONFIG = {
  architecture: 'amd64',
  os: 'linux',
  created: '2026-11-02T08:30:00Z',
  author: 'Alice <alice@example.com>',
  config: {
    User: 'app',
    WorkingDir: '/srv/app',
    Env: [
      'PATH=/usr/local/bin:/usr/bin:/bin',
      'APP_HOME=/srv/app',
      'DB_PASSWORD=hunter2',
      'GITHUB_TOKEN=ghp_notarealtoken',
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI',
      'API_KEY=k-123',
      'LOG_LEVEL=info',
    ],
    Entrypoint: ['/srv/app/run'],
    Cmd: ['--port', '8080'],
    ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
    Labels: { 'org.opencontainers.image.source': 'https://example.com/web', maintainer: 'alice' },
  },
  rootfs: { type: 'layers', diff_ids: [] },
  history: [
    { created: '2026-11-01T10:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:4b03b5f551e3 in / ' },
    { created: '2026-11-01T10:00:01Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    { created_by: 'ENV APP_HOME=/srv/app', comment: 'buildkit.dockerfile.v0', empty_layer: true },
    { created_by: 'RUN /bin/sh -c apt-get install -y curl # buildkit', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'EXPOSE map[8080/tcp:{}]', comment: 'buildkit.dockerfile.v0', empty_layer: true },
    { created_by: 'COPY app /srv/app # buildkit', comment: 'buildkit.dockerfile.v0' },
    { created_by: 'ENTRYPOINT ["/srv/app/run"]', comment: 'buildkit.dockerfile.v0', empty_layer: true },
  ],
};

const platformConfig = (architecture: string, variant?: string) =>
  json({ architecture, os: 'linux', ...(variant && { variant }), config: {}, rootfs: { type: 'layers' } }, OCI_CONFIG);

export interface DetailsFixtures {
  /** Docker schema 2, tag `web`: 3 layers of 1000, 2000 and 3000 bytes. */
  web: Blob & { config: Blob; layers: Blob[] };
  /** OCI index, tag `multi`: linux/amd64 (1500 + 2500 bytes), linux/arm64/v8 (1200), an attestation. */
  multi: Blob;
  amd64: Blob & { config: Blob };
  arm64: Blob & { config: Blob };
  attestation: Blob & { config: Blob };
  /** Artifact, tag `chart`: a Helm config and one 700-byte chart layer. */
  chart: Blob & { config: Blob };
  /** Referrers: an SBOM of `web`, a signature of `multi`, a signature of `chart`. */
  sbom: Blob;
  multiSignature: Blob;
  chartSignature: Blob;
  /** Tag `broken`: an image config that is not JSON; tag `huge`: a config over 4 MiB. */
  broken: Blob;
  huge: Blob;
}

/** Pushes blobs with credentials, one request each; expects 201. */
export async function pushBlobsAs(base: string, auth: string, name: string, blobs: Blob[]): Promise<void> {
  for (const blob of blobs) {
    const res = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { Authorization: auth },
      body: blob.bytes,
    });
    expect(res.status, await res.text()).toBe(201);
  }
}

async function pushManifestAs(base: string, auth: string, name: string, reference: string, manifest: Blob) {
  const res = await putManifestAs(base, auth, name, reference, manifest);
  expect(res.status, await res.text()).toBe(201);
}

async function pushImageOf(
  base: string,
  auth: string,
  name: string,
  reference: string | undefined,
  options: { config: Blob; layers: Blob[]; mediaType?: string; artifactType?: string; subject?: Blob },
): Promise<Blob & { config: Blob }> {
  const manifest = imageManifest(options);
  await pushBlobsAs(base, auth, name, [options.config, ...options.layers]);
  await pushManifestAs(base, auth, name, reference ?? manifest.digest, manifest);
  return manifest;
}

/** Pushes every fixture into `name` as `auth`. */
export async function pushDetailsFixtures(base: string, auth: string, name: string): Promise<DetailsFixtures> {
  const webLayers = [randomBlob(1000, DOCKER_LAYER), randomBlob(2000, DOCKER_LAYER), randomBlob(3000, DOCKER_LAYER)];
  const web = await pushImageOf(base, auth, name, 'web', {
    config: json(WEB_CONFIG, DOCKER_CONFIG),
    layers: webLayers,
    mediaType: DOCKER_MANIFEST,
  });
  const amd64 = await pushImageOf(base, auth, name, undefined, {
    config: platformConfig('amd64'),
    layers: [randomBlob(1500), randomBlob(2500)],
  });
  const arm64 = await pushImageOf(base, auth, name, undefined, {
    config: platformConfig('arm64', 'v8'),
    layers: [randomBlob(1200)],
  });
  const attestation = await pushImageOf(base, auth, name, undefined, {
    config: platformConfig('unknown'),
    layers: [randomBlob(300, 'application/vnd.in-toto+json')],
  });
  const multi = json(
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { ...descriptor(amd64), platform: { architecture: 'amd64', os: 'linux' } },
        { ...descriptor(arm64), platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
        {
          ...descriptor(attestation),
          platform: { architecture: 'unknown', os: 'unknown' },
          annotations: {
            'vnd.docker.reference.type': 'attestation-manifest',
            'vnd.docker.reference.digest': amd64.digest,
          },
        },
      ],
    },
    OCI_INDEX,
  );
  await pushManifestAs(base, auth, name, 'multi', multi);
  const chart = await pushImageOf(base, auth, name, 'chart', {
    config: json({ name: 'web', version: '1.2.3' }, CHART_CONFIG),
    layers: [randomBlob(700, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip')],
  });
  const referrer = (subject: Blob, artifactType: string) =>
    pushImageOf(base, auth, name, undefined, {
      config: EMPTY_JSON,
      layers: [randomBlob(64, artifactType)],
      artifactType,
      subject,
    });
  const sbom = await referrer(web, SBOM_TYPE);
  const multiSignature = await referrer(multi, SIGNATURE_TYPE);
  const chartSignature = await referrer(chart, SIGNATURE_TYPE);
  const broken = await pushImageOf(base, auth, name, 'broken', {
    config: blobOf(Buffer.from('{"architecture": "amd64", '), OCI_CONFIG),
    layers: [randomBlob(100)],
  });
  const huge = await pushImageOf(base, auth, name, 'huge', {
    config: json({ architecture: 'amd64', os: 'linux', padding: 'x'.repeat(4 * 1024 * 1024) }, OCI_CONFIG),
    layers: [randomBlob(100)],
  });
  return {
    web: { ...web, layers: webLayers },
    multi,
    amd64,
    arm64,
    attestation,
    chart,
    sbom,
    multiSignature,
    chartSignature,
    broken,
    huge,
  };
}
