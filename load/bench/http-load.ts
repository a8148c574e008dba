/**
 * @module A closed-loop HTTP load generator (made for HEAD requests), on undici in worker threads:
 * `threads` workers share `connections` keep-alive connections, each connection sends its next
 * request as soon as the previous answer is in, for `seconds`; the result is the completed
 * requests per second and the count of each status.
 *
 * Why not wrk or autocannon: both hang on a `HEAD` whose answer carries a `Content-Length`
 * (wrk 4.1.0's parser and autocannon 9's wait for a body that a HEAD answer never has; checked
 * against outpost on 2026-11-23), and a blob HEAD must carry one (RFC 9110 9.3.2). undici
 * parses HEAD answers correctly, and is already a dependency.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';

export interface LoadOptions {
  url: string;
  /** Default HEAD. */
  method?: 'HEAD' | 'GET';
  headers: Record<string, string>;
  /** Worker threads (as wrk's -t). */
  threads: number;
  /** Connections in total, split across the threads (as wrk's -c). */
  connections: number;
  seconds: number;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** Requests that failed without an answer (connection errors). */
  errors: number;
}

interface WorkerInput {
  url: string;
  method: 'HEAD' | 'GET';
  headers: Record<string, string>;
  connections: number;
  seconds: number;
}

interface WorkerOutput {
  requests: number;
  statuses: Record<string, number>;
  errors: number;
  elapsedMs: number;
}

async function runWorker({ url, method, headers, connections, seconds }: WorkerInput): Promise<WorkerOutput> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections, pipelining: 1 });
  const path = `${target.pathname}${target.search}`;
  const statuses: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      try {
        const res = await pool.request({ path, method, headers });
        await res.body.dump();
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        requests++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsedMs = performance.now() - started;
  await pool.close();
  return { requests, statuses, errors, elapsedMs };
}

/** Runs the load and resolves once every worker has finished. */
export async function runHttpLoad(options: LoadOptions): Promise<LoadResult> {
  const perThread = Array.from({ length: options.threads }, (_, i) => Math.floor(options.connections / options.threads) + (i < options.connections % options.threads ? 1 : 0)).filter((n) => n > 0);
  const outputs = await Promise.all(
    perThread.map(
      (connections) =>
        new Promise<WorkerOutput>((resolve, reject) => {
          const input: WorkerInput = { url: options.url, method: options.method ?? 'HEAD', headers: options.headers, connections, seconds: options.seconds };
          const worker = new Worker(new URL(import.meta.url), { workerData: input });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`load worker exited with ${code} before reporting`)));
        }),
    ),
  );
  const statuses: Record<string, number> = {};
  for (const out of outputs) for (const [status, n] of Object.entries(out.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  const requests = outputs.reduce((sum, o) => sum + o.requests, 0);
  // Workers start within a few milliseconds of each other: the slowest one's window is the run's.
  const elapsedMs = Math.max(...outputs.map((o) => o.elapsedMs));
  return { requests, requestsPerSecond: requests / (elapsedMs / 1000), statuses, errors: outputs.reduce((sum, o) => sum + o.errors, 0) };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  void runWorker(workerData as WorkerInput).then((out) => port.postMessage(out));
}
