/**
 * @module A closed-loop HTTP/1.1 load generator, made for HEAD requests: `threads` worker
 * threads share `connections` keep-alive connections; each connection sends its next request as
 * soon as the previous answer is in, for `seconds`. The result is the completed requests per
 * second and the count of each status.
 *
 * Why not wrk or autocannon: both hang on a `HEAD` whose answer carries a `Content-Length`
 * (wrk 4.1.0's parser and autocannon 9's wait for a body that a HEAD answer never has; checked
 * against outpost on 2026-11-23), and a blob HEAD must carry one (RFC 9110 9.3.2). Why not an
 * HTTP client library: at tens of thousands of requests a second the client's own cost per
 * request decides the figure (undici gave a quarter of wrk's rate for the same GET here). So
 * this speaks the protocol on raw sockets, as wrk does: write a request, read up to the blank
 * line, read `Content-Length` more bytes unless it was a HEAD, repeat. Answers must carry a
 * `Content-Length` (chunked ones count as errors): registry answers do.
 */
import { connect, type Socket } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

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
  /** Connections that failed or answers that could not be read. */
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

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/** One keep-alive connection in a closed loop until `deadline`; resolves when it stops. */
function driveConnection(
  target: URL,
  request: Buffer,
  isHead: boolean,
  deadline: number,
  out: WorkerOutput,
): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(target.port || 80), target.hostname);
    socket.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    // Bytes of body still to skip, or -1 while reading the head of an answer.
    let bodyLeft = -1;
    let finished = false;
    const finish = (error: boolean) => {
      if (finished) return;
      finished = true;
      if (error) out.errors++;
      socket.destroy();
      resolve();
    };
    const send = () => (performance.now() < deadline ? socket.write(request) : finish(false));
    socket.on('connect', send);
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(!finished && performance.now() < deadline));
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        if (bodyLeft < 0) {
          const end = buffer.indexOf(HEADER_END);
          if (end < 0) return;
          const head = buffer.subarray(0, end).toString('latin1');
          const status = head.slice(9, 12);
          const length = CONTENT_LENGTH.exec(head)?.[1];
          if (length === undefined && !isHead) return finish(true);
          out.statuses[status] = (out.statuses[status] ?? 0) + 1;
          buffer = buffer.subarray(end + HEADER_END.length);
          bodyLeft = isHead ? 0 : Number(length);
        }
        if (buffer.length < bodyLeft) return;
        buffer = buffer.subarray(bodyLeft);
        bodyLeft = -1;
        out.requests++;
        send();
        if (finished || buffer.length === 0) return;
      }
    });
  });
}

async function runWorker({ url, method, headers, connections, seconds }: WorkerInput): Promise<WorkerOutput> {
  const target = new URL(url);
  const lines = [
    `${method} ${target.pathname}${target.search} HTTP/1.1`,
    `Host: ${target.host}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const out: WorkerOutput = { requests: 0, statuses: {}, errors: 0, elapsedMs: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, () => driveConnection(target, request, method === 'HEAD', deadline, out)),
  );
  out.elapsedMs = performance.now() - started;
  return out;
}

/** Runs the load and resolves once every worker has finished. */
export async function runHttpLoad(options: LoadOptions): Promise<LoadResult> {
  const perThread = Array.from(
    { length: options.threads },
    (_, i) => Math.floor(options.connections / options.threads) + (i < options.connections % options.threads ? 1 : 0),
  ).filter((n) => n > 0);
  const outputs = await Promise.all(
    perThread.map(
      (connections) =>
        new Promise<WorkerOutput>((resolve, reject) => {
          const input: WorkerInput = {
            url: options.url,
            method: options.method ?? 'HEAD',
            headers: options.headers,
            connections,
            seconds: options.seconds,
          };
          const worker = new Worker(new URL(import.meta.url), { workerData: input });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`load worker exited with ${code} before reporting`)));
        }),
    ),
  );
  const statuses: Record<string, number> = {};
  for (const out of outputs)
    for (const [status, n] of Object.entries(out.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  const requests = outputs.reduce((sum, o) => sum + o.requests, 0);
  // Workers start within a few milliseconds of each other: the slowest one's window is the run's.
  const elapsedMs = Math.max(...outputs.map((o) => o.elapsedMs));
  return {
    requests,
    requestsPerSecond: requests / (elapsedMs / 1000),
    statuses,
    errors: outputs.reduce((sum, o) => sum + o.errors, 0),
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  void runWorker(workerData as WorkerInput).then((out) => port.postMessage(out));
}
