/**
 * Real edge caches on 127.0.0.1:0 in temporary directories, and redirect tokens signed with a
 * test main's keys (what main's redirect will hand out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { issueRedirectToken } from '../../src/auth/redirect-token.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { loadEdgeConfig, type EdgeFlags } from '../../edge/config.js';
import { startEdge, type EdgeService } from '../../edge/service.js';
import { createTempDir, type TempDir } from './temp-dir.js';
import { OUTPOST_BIN, type TestMain } from './servers.js';

export interface TestEdge {
  url: string;
  name: string;
  dataDir: string;
  service: EdgeService;
  stop(): Promise<void>;
}

export interface TestEdgeOptions {
  name: string;
  /** Main or another edge. */
  upstream: string;
  /** Main's URL (token issuer and JWKS). */
  issuer: string;
  flags?: EdgeFlags;
  env?: Record<string, string>;
  dataDir?: string;
  logger?: Logger;
  now?: () => number;
}

export async function startTestEdge(options: TestEdgeOptions): Promise<TestEdge> {
  const temp: TempDir | undefined = options.dataDir ? undefined : await createTempDir(`outpost-edge-${options.name}-`);
  const dataDir = options.dataDir ?? temp!.path;
  const config = loadEdgeConfig(
    {
      name: options.name,
      upstream: options.upstream,
      issuer: options.issuer,
      listen: '127.0.0.1:0',
      data: dataDir,
      ...options.flags,
    },
    options.env ?? {},
  );
  const service = await startEdge(config, options.logger ?? silentLogger, options.now);
  return {
    url: service.url,
    name: options.name,
    dataDir,
    service,
    async stop() {
      await service.stop();
      await temp?.remove();
    },
  };
}

export interface RedirectTokenRequest {
  repository: string;
  digest: string;
  /** The cache chain, nearest first. */
  audience: string[];
  subject?: string;
  lifetimeMs?: number;
  now?: number;
}

/** A redirect token signed by `main`'s current key, as main's redirect issues them. */
export function signRedirectToken(main: TestMain, request: RedirectTokenRequest): Promise<string> {
  return issueRedirectToken(main.service.keys.signingKey, {
    issuer: main.url,
    subject: request.subject ?? 'alice',
    repository: request.repository,
    digest: request.digest,
    audience: request.audience,
    lifetimeMs: request.lifetimeMs ?? 120_000,
    now: request.now ?? Date.now(),
  });
}

/**
 * A counter or gauge from an edge's /metrics, e.g. `outpost_edge_blob_requests_total{result="hit"}`; 0 for a
 * series not there yet of a metric that is; throws for a metric the edge does not have.
 */
export async function readMetric(edgeUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${edgeUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line) return Number(line.slice(series.length + 1));
  // Known label values start at 0, so a series that is not there is a misspelt one (an assertion of 0
  // on it could never fail): the metric name must exist at least.
  const name = series.replace(/\{.*$/, '');
  const family = [name, name.replace(/_(count|sum|bucket)$/, '')];
  if (!text.split('\n').some((l) => family.some((f) => l.startsWith(`# TYPE ${f} `))))
    throw new Error(`${edgeUrl}/metrics has no metric ${name}`);
  return 0;
}

/** `GET|HEAD` URL of a blob on an edge, with the redirect token in the query as main hands it out. */
export const edgeBlobUrl = (edgeUrl: string, repository: string, digest: string, token: string): string =>
  `${edgeUrl}/v2/${repository}/blobs/${digest}?token=${token}`;

/** Reads a response body to its end; `error` is set when the transfer broke off (what a client must see on failure). */
export async function readBody(res: Response): Promise<{ bytes: Buffer; error?: Error }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of res.body ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
    return { bytes: Buffer.concat(chunks) };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as Error };
  }
}

export interface SpawnedEdge {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far (JSON log lines). */
  logs(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/**
 * Runs `outpost edge` from dist/ (run `npm run build` first) with `OUTPOST_EDGE_*` settings
 * from `env`, and waits for its "edge cache listening" log line.
 */
export async function spawnEdge(env: Record<string, string>): Promise<SpawnedEdge> {
  const child = spawn(process.execPath, [OUTPOST_BIN, 'edge'], {
    env: { ...process.env, OUTPOST_EDGE_LISTEN: '127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`edge did not start:\n${stderr}`)), 20_000);
    const check = () => {
      const match = /"msg":"edge cache listening".*?"bindUrl":"([^"]+)"/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        child.stderr!.off('data', check);
        resolve(match[1]!);
      }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => reject(new Error(`edge exited with ${code}:\n${stderr}`)));
  });
  return { url, child, logs: () => stderr, exited };
}
