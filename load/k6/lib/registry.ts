/**
 * @module The registry calls the scenarios share: a registry token from main, a manifest walk
 * (tag or digest → manifest, an index resolved to one platform's manifest), blob pulls that
 * follow main's 307 to the user's edge cache by hand (so main's answer and the edge's are timed
 * and tagged apart), and a monolithic blob push.
 *
 * Tags on every request: `hop` (main | edge), `kind` (token | manifest | blob | upload), so
 * thresholds can be set per hop and kind. Blob bodies are counted, never kept (`responseType:
 * 'none'`).
 */
import http from 'k6/http';
import { check } from 'k6';
import encoding from 'k6/encoding';
import { Rate, Trend } from 'k6/metrics';
import type { Credentials } from './env.ts';

/** Blob GETs main answered with a 307 to a cache (1) or served itself (0). */
export const redirectedRate = new Rate('outpost_blob_redirected');
/** Time from the first request to main to the last byte from the edge, per blob. */
export const blobPullTime = new Trend('outpost_blob_pull_time', true);

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

interface Manifest {
  mediaType?: string;
  manifests?: Array<Descriptor & { platform?: { architecture?: string; os?: string } }>;
  config?: Descriptor;
  layers?: Descriptor[];
}

/** A Location header made absolute (k6 has no WHATWG URL global). */
function absolute(base: string, location: string): string {
  return /^https?:\/\//.test(location) ? location : `${base}${location.startsWith('/') ? '' : '/'}${location}`;
}

export const basic = (c: Credentials): string => `Basic ${encoding.b64encode(`${c.user}:${c.password}`)}`;

/** `name:tag` or `name@sha256:...` → repository and reference. */
export function parseImage(image: string): { repo: string; reference: string } {
  const at = image.indexOf('@');
  if (at > 0) return { repo: image.slice(0, at), reference: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/')) return { repo: image.slice(0, colon), reference: image.slice(colon + 1) };
  return { repo: image, reference: 'latest' };
}

/**
 * A registry token for `scope` (e.g. `repository:team/app:pull`) from main's /auth/token, as
 * docker and skopeo get one. Throws when main refuses: the iteration then counts as failed.
 */
export function fetchToken(main: string, credentials: Credentials, scope: string, service = 'outpost'): string {
  const res = http.get(`${main}/auth/token?service=${encodeURIComponent(service)}&scope=${encodeURIComponent(scope)}`, {
    headers: { Authorization: basic(credentials) },
    tags: { hop: 'main', kind: 'token' },
  });
  if (!check(res, { 'token: 200': (r) => r.status === 200 })) throw new Error(`token for ${scope}: ${res.status}`);
  const body = res.json() as { token?: string };
  if (!body.token) throw new Error(`token for ${scope}: no token in the answer`);
  return body.token;
}

/** The manifest of `reference`; an index or list resolves to its linux/amd64 entry (or its first). */
export function fetchManifest(main: string, token: string, repo: string, reference: string): Manifest {
  const get = (ref: string): Manifest => {
    const res = http.get(`${main}/v2/${repo}/manifests/${ref}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: MANIFEST_TYPES },
      tags: { hop: 'main', kind: 'manifest' },
    });
    if (!check(res, { 'manifest: 200': (r) => r.status === 200 }))
      throw new Error(`manifest ${repo}:${ref}: ${res.status}`);
    return res.json() as Manifest;
  };
  const top = get(reference);
  if (!top.manifests) return top;
  const chosen =
    top.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? top.manifests[0];
  if (!chosen) throw new Error(`manifest ${repo}:${reference}: an empty index`);
  return get(chosen.digest);
}

/** Config and layers of an image manifest. */
export function blobsOf(manifest: Manifest): Descriptor[] {
  return [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])];
}

/**
 * GETs a blob through main: main answers 307 to the user's cache (followed here, without the
 * Authorization header, as clients do on a cross-host redirect) or 200 with the bytes itself.
 * Checks the status and the length; returns whether it was redirected.
 */
export function pullBlob(main: string, token: string, repo: string, blob: Descriptor): boolean {
  const started = Date.now();
  const first = http.get(`${main}/v2/${repo}/blobs/${blob.digest}`, {
    headers: { Authorization: `Bearer ${token}` },
    redirects: 0,
    responseType: 'none',
    tags: { hop: 'main', kind: 'blob' },
  });
  const location = first.headers.Location;
  const redirected = first.status === 307 && typeof location === 'string';
  redirectedRate.add(redirected);
  let final = first;
  if (redirected) {
    final = http.get(absolute(main, location), { responseType: 'none', tags: { hop: 'edge', kind: 'blob' } });
  }
  check(final, {
    'blob: 200': (r) => r.status === 200,
    'blob: whole body': (r) => Number(r.headers['Content-Length']) === blob.size,
    'blob: digest header': (r) => r.headers['Docker-Content-Digest'] === blob.digest,
  });
  blobPullTime.add(Date.now() - started);
  return redirected;
}

/** Pulls one image the way a client does: manifest walk, then every blob through main's redirect. */
export function pullImage(main: string, credentials: Credentials, image: string): void {
  const { repo, reference } = parseImage(image);
  const token = fetchToken(main, credentials, `repository:${repo}:pull`);
  for (const blob of blobsOf(fetchManifest(main, token, repo, reference))) pullBlob(main, token, repo, blob);
}

/** Pushes `bytes` as a blob (POST, then PUT ?digest=: one request with the body); returns its descriptor. */
export function pushBlob(
  main: string,
  token: string,
  repo: string,
  bytes: ArrayBuffer | string,
  digest: string,
  mediaType: string,
): Descriptor {
  const started = http.post(`${main}/v2/${repo}/blobs/uploads/`, null, {
    headers: { Authorization: `Bearer ${token}` },
    tags: { hop: 'main', kind: 'upload' },
  });
  const location = started.headers.Location;
  if (!check(started, { 'upload: 202': (r) => r.status === 202 }) || typeof location !== 'string')
    throw new Error(`start upload to ${repo}: ${started.status}`);
  const target = absolute(main, location);
  const url = `${target}${target.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
  const put = http.put(url, bytes, {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' },
    tags: { hop: 'main', kind: 'upload' },
  });
  if (!check(put, { 'upload: 201': (r) => r.status === 201 }))
    throw new Error(`upload ${digest} to ${repo}: ${put.status}`);
  const size = typeof bytes === 'string' ? bytes.length : bytes.byteLength;
  return { mediaType, digest, size };
}

/** PUTs an OCI image manifest under `tag`. */
export function pushManifest(
  main: string,
  token: string,
  repo: string,
  tag: string,
  config: Descriptor,
  layers: Descriptor[],
): void {
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const res = http.put(
    `${main}/v2/${repo}/manifests/${tag}`,
    JSON.stringify({ schemaVersion: 2, mediaType, config, layers }),
    {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': mediaType },
      tags: { hop: 'main', kind: 'manifest' },
    },
  );
  if (!check(res, { 'manifest push: 201': (r) => r.status === 201 }))
    throw new Error(`manifest ${repo}:${tag}: ${res.status}`);
}

/** A counter from a Prometheus /metrics page (`name{labels}` exactly as written); 0 when absent. */
export function readMetric(baseUrl: string, series: string): number {
  const res = http.get(`${baseUrl}/metrics`, { tags: { hop: 'edge', kind: 'metrics' } });
  if (res.status !== 200 || typeof res.body !== 'string') throw new Error(`${baseUrl}/metrics: ${res.status}`);
  const line = res.body.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
