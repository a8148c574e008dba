/**
 * Registry API calls for integration tests, over real HTTP with global fetch: push blobs,
 * images and manifests, start uploads, and check error answers against the spec's envelope
 * (distribution-spec "Error Codes": `{"errors":[{"code","message","detail"?}]}`).
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import { blobOf, configBlob, imageManifest, randomBlob, type Blob } from './oci-fixtures.js';

export interface OciErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/**
 * Asserts the status and that the body is the spec's envelope holding one error of `code`
 * with a non-empty message and nothing else; returns that error for further checks.
 */
export async function expectOciError(res: Response, status: number, code: string): Promise<OciErrorEntry> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { errors: OciErrorEntry[] };
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors).toHaveLength(1);
  const [entry] = body.errors as [OciErrorEntry];
  expect(entry.code).toBe(code);
  expect(typeof entry.message).toBe('string');
  expect(entry.message.length).toBeGreaterThan(0);
  expect(Object.keys(entry).every((k) => ['code', 'message', 'detail'].includes(k))).toBe(true);
  return entry;
}

/** Pushes a blob in one request (`POST ?digest=`) and expects 201. */
export async function pushBlob(base: string, name: string, blob: { digest: string; bytes: Uint8Array }): Promise<void> {
  const res = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST',
    body: blob.bytes,
  });
  expect(res.status, await res.text()).toBe(201);
}

/** PUTs manifest bytes under `reference` with its media type as Content-Type (or `contentType`). */
export function putManifest(
  base: string,
  name: string,
  reference: string,
  manifest: { bytes: Uint8Array; mediaType: string },
  contentType = manifest.mediaType,
): Promise<Response> {
  return fetch(`${base}/v2/${name}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': contentType },
    body: manifest.bytes,
  });
}

/** Pushes a manifest and expects 201. */
export async function pushManifest(
  base: string,
  name: string,
  reference: string,
  manifest: { bytes: Uint8Array; mediaType: string },
): Promise<void> {
  const res = await putManifest(base, name, reference, manifest);
  expect(res.status, await res.text()).toBe(201);
}

export interface PushedImage {
  manifest: Blob & { config: Blob };
  layers: Blob[];
}

/** Pushes config, layers and an OCI image manifest under `reference` (tag or digest). */
export async function pushImage(
  base: string,
  name: string,
  reference?: string,
  options: { layers?: Blob[]; config?: Blob } = {},
): Promise<PushedImage> {
  const layers = options.layers ?? [randomBlob(512), randomBlob(1024)];
  const manifest = imageManifest({ layers, ...(options.config && { config: options.config }) });
  for (const blob of [manifest.config, ...layers]) await pushBlob(base, name, blob);
  await pushManifest(base, name, reference ?? manifest.digest, manifest);
  return { manifest, layers };
}

/** Bytes of a JSON document as a blob with a media type (for hand-written manifests). */
export function jsonBlob(value: unknown, mediaType: string, indent?: number): Blob {
  return blobOf(Buffer.from(JSON.stringify(value, null, indent)), mediaType);
}

export interface UploadSessionRef {
  /** Absolute URL of the session (the Location, resolved). */
  url: string;
  uuid: string;
}

/** Starts an upload session (`POST /v2/<name>/blobs/uploads/`) and expects 202. */
export async function startUpload(base: string, name: string): Promise<UploadSessionRef> {
  const res = await fetch(`${base}/v2/${name}/blobs/uploads/`, { method: 'POST' });
  expect(res.status, await res.text()).toBe(202);
  const location = res.headers.get('location');
  expect(location).toBeTruthy();
  return { url: new URL(location!, base).href, uuid: res.headers.get('docker-upload-uuid')! };
}

/** Appends `?digest=` (or `&digest=`) to a session URL. */
/** PATCHes a chunk of an upload session, with `Content-Range` when given (docker streams without it). */
export function patchUpload(url: string, body: Uint8Array, contentRange?: string): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    body,
    headers: { 'Content-Type': 'application/octet-stream', ...(contentRange && { 'Content-Range': contentRange }) },
  });
}

export function withDigest(url: string, digest: string): string {
  const u = new URL(url);
  u.searchParams.set('digest', digest);
  return u.href;
}

/** Polls `condition` until it holds (for state another request is building up); fails after 10 s. */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition never held');
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends a request with the path exactly as given. fetch normalizes `..` and `%2e%2e` before
 * sending, so path traversal attempts need the plain Node client.
 */
export function rawRequest(base: string, method: string, path: string): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** One keep-alive connection driven by hand; fetch's connection pool would hide a stalled one. */
export interface RawConnection {
  write(data: string | Uint8Array): void;
  /** The next complete response on this connection (Content-Length framed), or a timeout error after 10 s. */
  response(): Promise<{ status: number; body: string }>;
  close(): void;
}

export async function openConnection(base: string): Promise<RawConnection> {
  const { hostname, port } = new URL(base);
  const socket: Socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (buffered = Buffer.concat([buffered, chunk])));
  /** Takes one whole response off the front of what was received, if it is all there. */
  const take = (): { status: number; body: string } | undefined => {
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = buffered.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (buffered.byteLength < end + 4 + length) return undefined;
    const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
    buffered = buffered.subarray(end + 4 + length);
    return { status: Number(head.split(' ')[1]), body };
  };
  return {
    write: (data) => void socket.write(data),
    async response() {
      for (let i = 0; i < 1000; i++) {
        const res = take();
        if (res) return res;
        if (socket.destroyed) throw new Error('connection closed by the server');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('no response on this connection');
    },
    close: () => void socket.destroy(),
  };
}

export { blobOf, configBlob, imageManifest, randomBlob, type Blob };
