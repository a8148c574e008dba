/**
 * @module Many concurrent streaming GETs of one URL, from worker threads (so the harness's own
 * thread stays free to sample the servers): each client reads its body to the end, or until
 * its time limit, and optionally hashes it (sha256) so that every body can be checked.
 *
 * All clients are created before any request is sent (workers report ready, then all start on
 * one signal), so a "herd" really arrives at once.
 */
import { createHash } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface DownloadOptions {
  url: string;
  clients: number;
  /** Worker threads sharing the clients. Default 2. */
  threads?: number;
  /** Per-client limit: the body is abandoned when it passes (counted as not complete). */
  timeLimitMs: number;
  /** sha256 every body. */
  hash?: boolean;
  headers?: Record<string, string>;
}

export interface ClientResult {
  status: number;
  bytes: number;
  /** Body read to its end (not cut by the time limit or an error). */
  complete: boolean;
  /** `sha256:<hex>` of the body when hashing. */
  digest?: string;
  error?: string;
  ms: number;
}

export interface DownloadResult {
  clients: ClientResult[];
  /** From the start signal to the last client's end. */
  wallSeconds: number;
}

interface WorkerInput {
  url: string;
  clients: number;
  timeLimitMs: number;
  hash: boolean;
  headers: Record<string, string>;
}

function download(input: WorkerInput): Promise<ClientResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let bytes = 0;
    let status = 0;
    const hasher = input.hash ? createHash('sha256') : undefined;
    let settled = false;
    const finish = (complete: boolean, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve({
        status,
        bytes,
        complete,
        ms: performance.now() - started,
        ...(hasher && complete && { digest: `sha256:${hasher.digest('hex')}` }),
        ...(error && { error }),
      });
    };
    const timer = setTimeout(() => finish(false, `time limit (${input.timeLimitMs} ms)`), input.timeLimitMs);
    const request = get(input.url, { agent: false, headers: input.headers }, (res: IncomingMessage) => {
      status = res.statusCode ?? 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.byteLength;
        hasher?.update(chunk);
      });
      res.once('end', () => finish(!res.aborted && res.complete));
      res.once('error', (err) => finish(false, err.message));
      res.once('aborted', () => finish(false, 'aborted'));
    });
    request.once('error', (err) => finish(false, err.message));
  });
}

/** Runs the downloads; resolves when every client has ended, one way or the other. */
export async function runDownloads(options: DownloadOptions): Promise<DownloadResult> {
  const threads = Math.max(1, Math.min(options.threads ?? 2, options.clients));
  const perThread = Array.from(
    { length: threads },
    (_, i) => Math.floor(options.clients / threads) + (i < options.clients % threads ? 1 : 0),
  );
  const workers = perThread.map(
    (clients) =>
      new Worker(new URL(import.meta.url), {
        workerData: {
          url: options.url,
          clients,
          timeLimitMs: options.timeLimitMs,
          hash: options.hash ?? false,
          headers: options.headers ?? {},
        } satisfies WorkerInput,
      }),
  );
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
    const started = performance.now();
    const results = await Promise.all(
      workers.map(
        (w) =>
          new Promise<ClientResult[]>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
            w.once('exit', (code) => reject(new Error(`download worker exited with ${code} before reporting`)));
            w.postMessage('go');
          }),
      ),
    );
    return { clients: results.flat(), wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const input = workerData as WorkerInput;
  port.once('message', () => {
    void Promise.all(Array.from({ length: input.clients }, () => download(input))).then((results) =>
      port.postMessage(results),
    );
  });
  port.postMessage('ready');
}
