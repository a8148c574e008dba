/**
 * @module The three servers of the hot-path scenarios, each holding the same blobs hot:
 * outpost's edge (URLs with redirect tokens from main's 307), nginx on the edge's own files,
 * and distribution's proxy (filled by one pull through it). Scenarios then measure GETs of
 * `urlOf(digest)` on each, and watch each `watched` process.
 */
import { join } from 'node:path';
import { request } from 'undici';
import type { Descriptor } from './oci-layout.js';
import type { Watched } from './phase.js';
import {
  startDistributionStack,
  startNginxOnEdgeFiles,
  startOutpostStack,
  uploadBlob,
  USER,
  type DistributionStack,
  type OutpostStack,
} from './cache-stacks.js';
import { REPO_ROOT, type ServerProcess } from './processes.js';
import type { ScenarioContext } from './scenario.js';

export const EDGE = 'outpost edge';
export const NGINX_PEER = 'nginx';
export const DIST_PROXY = 'distribution proxy';
export const HOT_PEERS = [EDGE, NGINX_PEER, DIST_PROXY] as const;
export type HotPeer = (typeof HOT_PEERS)[number];

export interface HotPeerServer {
  name: HotPeer;
  server: ServerProcess;
  watched: Watched;
  urlOf(digest: string): string;
}

export interface HotPeers {
  peers: HotPeerServer[];
  outpost: OutpostStack;
  distribution: DistributionStack;
  stop(): Promise<void>;
}

export interface HotPeersOptions {
  /** Blob files (the descriptor's digest and size; the file at `<blobsDir>/<hex>`). */
  blobs: readonly Descriptor[];
  blobsDir: string;
  repo: string;
  nginxWorkers?: number;
  /** nginx logs every request, as stock nginx does (default: no access log). */
  nginxAccessLog?: boolean;
  edgeNodeArgs?: string[];
  /** Extra environment for the edge (`OUTPOST_EDGE_*` settings). */
  edgeEnv?: Record<string, string>;
}

/** GETs `url` to its end and checks status and length; used to fill a cache. */
async function pullThrough(url: string, size: number): Promise<void> {
  const res = await request(url, { bodyTimeout: 120_000 });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).byteLength;
  if (res.statusCode !== 200 || bytes !== size)
    throw new Error(
      `warming GET ${url.replace(/token=[^&]+/, 'token=…')}: ${res.statusCode} with ${bytes} bytes, ` +
        `expected 200 with ${size}`,
    );
}

export async function startHotPeers(ctx: ScenarioContext, options: HotPeersOptions): Promise<HotPeers> {
  const repo = `${USER}/${options.repo}`;
  ctx.log('starting outpost main + edge, distribution origin + proxy');
  const outpost = await startOutpostStack(ctx, {
    dir: join(ctx.workDir, 'outpost'),
    ...(options.edgeNodeArgs && { edgeNodeArgs: options.edgeNodeArgs }),
    ...(options.edgeEnv && { edgeEnv: options.edgeEnv }),
  });
  const distribution = await startDistributionStack(ctx, join(ctx.workDir, 'distribution'));
  const locations = new Map<string, string>();
  for (const blob of options.blobs) {
    const file = {
      path: join(options.blobsDir, blob.digest.slice('sha256:'.length)),
      digest: blob.digest,
      size: blob.size,
    };
    await uploadBlob(outpost.main.url, repo, file, outpost.userAuth);
    await uploadBlob(distribution.origin.url, repo, file);
    const location = await outpost.redirectLocation(repo, blob.digest);
    locations.set(blob.digest, location);
    // One pull through each cache makes the blob hot there.
    await pullThrough(location, blob.size);
    await pullThrough(`${distribution.proxy.url}/v2/${repo}/blobs/${blob.digest}`, blob.size);
  }
  const nginx = await startNginxOnEdgeFiles(
    ctx,
    join(ctx.workDir, 'nginx'),
    outpost.edgeDataDir,
    options.nginxWorkers ?? 1,
    options.nginxAccessLog ?? false,
  );
  const watched = (name: HotPeer, server: ServerProcess): Watched => ({
    name,
    pid: server.pid,
    processIds: server.processIds,
  });
  const peers: HotPeerServer[] = [
    { name: EDGE, server: outpost.edge, watched: watched(EDGE, outpost.edge), urlOf: (d) => locations.get(d)! },
    { name: NGINX_PEER, server: nginx.server, watched: watched(NGINX_PEER, nginx.server), urlOf: nginx.urlOf },
    {
      name: DIST_PROXY,
      server: distribution.proxy,
      watched: watched(DIST_PROXY, distribution.proxy),
      urlOf: (d) => `${distribution.proxy.url}/v2/${repo}/blobs/${d}`,
    },
  ];
  // Every URL answers 200 with the blob's length before anything is measured.
  for (const peer of peers) for (const blob of options.blobs) await pullThrough(peer.urlOf(blob.digest), blob.size);
  return {
    peers,
    outpost,
    distribution,
    async stop() {
      await nginx.server.stop();
      await distribution.proxy.stop();
      await distribution.origin.stop();
      await outpost.edge.stop();
      await outpost.main.stop();
    },
  };
}

/** The order peers are measured in repetition `rep`: rotated, so none always goes first. */
export function rotate<T>(items: readonly T[], rep: number): T[] {
  return items.map((_, i) => items[(i + rep) % items.length]!);
}

/**
 * `--param cpu-prof=yes`: the edge runs under `node --cpu-prof`; profiles land in
 * load/results/profiles/ when it stops.
 */
export function cpuProfile(params: Readonly<Record<string, string>>): { edgeNodeArgs?: string[] } {
  if (params['cpu-prof'] !== 'yes') return {};
  return { edgeNodeArgs: ['--cpu-prof', '--cpu-prof-dir', join(REPO_ROOT, 'load', 'results', 'profiles')] };
}
