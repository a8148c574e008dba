/**
 * A small client for main's /v2 API in integration tests: whole pushes through fetch, file
 * pushes streamed from disk, and raw node:http requests whose body the test feeds by hand, so
 * it can leave a body unfinished while the server is killed or stopped.
 */
import { createReadStream } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';

export interface PushableBlob {
  digest: string;
  bytes: Uint8Array;
}

export interface PushableManifest extends PushableBlob {
  mediaType: string;
}

/** `POST /v2/<repo>/blobs/uploads/?digest=` with the whole blob (single-request upload). */
export function pushBlob(base: string, repo: string, blob: PushableBlob): Promise<Response> {
  return fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: blob.bytes,
  });
}

export function pushManifest(base: string, repo: string, reference: string, manifest: PushableManifest): Promise<Response> {
  return fetch(`${base}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
  });
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Single-request upload of a file, streamed (the file is never read whole). */
export async function pushFile(base: string, repo: string, path: string, digest: string, size: number): Promise<RawResponse> {
  const open = openRequest(`${base}/v2/${repo}/blobs/uploads/?digest=${digest}`, 'POST', {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(size),
  });
  await pipeline(createReadStream(path), open.request);
  const outcome = await open.outcome;
  if ('error' in outcome) throw outcome.error;
  return outcome;
}

export interface OpenRequest {
  readonly request: ClientRequest;
  /** Sends body bytes; resolves once they are handed to the socket. */
  write(bytes: Uint8Array): Promise<void>;
  /** Settles with the response, or with the error that ended the exchange (the server died). */
  readonly outcome: Promise<RawResponse | { error: Error }>;
}

/** Starts a request whose body the caller writes piece by piece (and may never finish). */
export function openRequest(url: string, method: string, headers: Record<string, string>): OpenRequest {
  const req = request(url, { method, headers, agent: false });
  const outcome = new Promise<RawResponse | { error: Error }>((resolve) => {
    req.on('error', (error) => resolve({ error }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => resolve({ error }));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
  });
  return {
    request: req,
    write: (bytes) => new Promise<void>((resolve, reject) => req.write(bytes, (err) => (err ? reject(err) : resolve()))),
    outcome,
  };
}
