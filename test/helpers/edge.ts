/**
 * Real edge caches on 127.0.0.1:0 in temporary directories, and redirect tokens signed with a
 * test main's keys (what main's redirect will hand out).
 */
import { issueRedirectToken } from '../../src/auth/redirect-token.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { loadEdgeConfig, type EdgeFlags } from '../../edge/config.js';
import { startEdge, type EdgeService } from '../../edge/service.js';
import { createTempDir, type TempDir } from './temp-dir.js';
import type { TestMain } from './servers.js';

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
    { name: options.name, upstream: options.upstream, issuer: options.issuer, listen: '127.0.0.1:0', data: dataDir, ...options.flags },
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
