/**
 * Raw node:http requests whose body the test feeds by hand, so that a body can be left
 * unfinished while the server is killed or stopped, or streamed from a file never read whole.
 * Ordinary pushes and error checks live in registry-http.ts.
 */
import { createReadStream } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';

export interface StreamedResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface OpenRequest {
  readonly request: ClientRequest;
  /** Sends body bytes; resolves once they are handed to the socket. */
  write(bytes: Uint8Array): Promise<void>;
  /** Settles with the response, or with the error that ended the exchange (the server died). */
  readonly outcome: Promise<StreamedResponse | { error: Error }>;
}

/** Starts a request whose body the caller writes piece by piece (and may never finish). */
export function openRequest(url: string, method: string, headers: Record<string, string>): OpenRequest {
  const req = request(url, { method, headers, agent: false });
  const outcome = new Promise<StreamedResponse | { error: Error }>((resolve) => {
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
    write: (bytes) =>
      new Promise<void>((resolve, reject) => req.write(bytes, (err) => (err ? reject(err) : resolve()))),
    outcome,
  };
}

/** Single-request upload (`POST ?digest=`) of a file, streamed from disk. */
export async function pushFile(
  base: string,
  repo: string,
  path: string,
  digest: string,
  size: number,
): Promise<StreamedResponse> {
  const open = openRequest(`${base}/v2/${repo}/blobs/uploads/?digest=${digest}`, 'POST', {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(size),
  });
  await pipeline(createReadStream(path), open.request);
  const outcome = await open.outcome;
  if ('error' in outcome) throw outcome.error;
  return outcome;
}
