/**
 * @module A plain streaming HTTP GET whose body is counted and dropped (`curl -o /dev/null`).
 *
 * Measures how fast a server can send a blob without a client that hashes and writes it.
 */
import { get } from 'node:http';

/** A response silent for this long is abandoned (the whole GET is bounded by `timeoutMs`). */
const IDLE_TIMEOUT_MS = 60_000;

export interface GetResult {
  status: number;
  bytes: number;
}

export async function httpGetToNull(
  url: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<GetResult> {
  options.signal?.throwIfAborted();
  return new Promise<GetResult>((resolve, reject) => {
    const request = get(
      url,
      {
        agent: false,
        timeout: IDLE_TIMEOUT_MS,
        signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])]),
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.byteLength;
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.once('error', reject);
        res.once('aborted', () => reject(new Error(`GET ${url}: response aborted after ${bytes} bytes`)));
      },
    );
    request.once('timeout', () => request.destroy(new Error(`GET ${url}: idle for ${IDLE_TIMEOUT_MS} ms`)));
    request.once('error', reject);
  });
}
