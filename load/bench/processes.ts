/**
 * @module Starts and stops the servers a scenario measures: outpost main and the outpost edge
 * (the built CLI in dist/), and what every server start shares (free ports, readiness, process
 * trees); the peers (distribution, nginx) are in peers.ts. Each runs on 127.0.0.1, plain HTTP,
 * with its data in a directory the scenario owns.
 *
 * Every wait is bounded: a server that does not become ready in time, or exits while being
 * waited for, fails the start with the tail of its output. Every started process is
 * registered with the run's `Cleanup`, so it is stopped however the run ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, constants, readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';

/** The repository root: the nearest ancestor of this file holding a package.json. */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
  return dir;
})();

export const OUTPOST_BIN = join(REPO_ROOT, 'dist', 'bin', 'outpost.js');

/** An executable a scenario needs and the Debian package that provides it. */
export interface Requirement {
  binary: string;
  debianPackage: string;
  /** Where to look when the binary is not on PATH (PostgreSQL's live in /usr/lib/postgresql/N/bin). */
  find?: () => string | undefined;
}

export const DISTRIBUTION: Requirement = { binary: 'docker-registry', debianPackage: 'docker-registry' };
export const SKOPEO: Requirement = { binary: 'skopeo', debianPackage: 'skopeo' };
export const NGINX: Requirement = { binary: 'nginx', debianPackage: 'nginx-light' };
export const WRK: Requirement = { binary: 'wrk', debianPackage: 'wrk' };
export const CURL: Requirement = { binary: 'curl', debianPackage: 'curl' };

/** The full path of `binary` on PATH, or undefined. */
export async function whichBinary(binary: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, binary);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export async function findMissing(requirements: readonly Requirement[]): Promise<Requirement[]> {
  const missing: Requirement[] = [];
  for (const r of requirements) if ((r.find?.() ?? (await whichBinary(r.binary))) === undefined) missing.push(r);
  return missing;
}

/** A port free on 127.0.0.1 right now (for servers that cannot be told to listen on :0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface ServerProcess {
  readonly name: string;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** `host:port`, as skopeo's docker:// references want it. */
  readonly hostPort: string;
  readonly pid: number;
  /** The last 64 KiB the process wrote to stdout and stderr. */
  output(): string;
  /** The process and its descendants now (nginx's workers); for CPU and memory accounting. */
  processIds(): Promise<number[]>;
  /** SIGTERM, SIGKILL after a grace period; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const OUTPUT_KEPT = 64 * 1024;

export interface SpawnServerOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cleanup: Cleanup;
  /** Returns the server's URL once it is ready, undefined while it is not. */
  ready: (output: string) => Promise<string | undefined> | string | undefined;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
}

export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const child: ChildProcess = spawn(options.command, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.cleanup.track(child);
  let output = '';
  // Always drain both pipes: a full pipe would block the server mid-measurement.
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_KEPT * 2) output = output.slice(-OUTPUT_KEPT);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exitStatus: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = signal ?? `code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      exitStatus = `spawn error: ${err.message}`;
      resolve();
    });
  });
  const tail = () => output.slice(-4096);

  const stop = async () => {
    if (exitStatus === undefined) {
      child.kill('SIGTERM');
      const grace = options.stopGraceMs ?? 15_000;
      const timer = setTimeout(() => child.kill('SIGKILL'), grace);
      await exited;
      clearTimeout(timer);
    }
  };
  const stopEarly = options.cleanup.defer(`stop ${options.name}`, stop);

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (url === undefined) {
    if (exitStatus !== undefined) {
      await stopEarly();
      throw new Error(`${options.name} exited (${exitStatus}) before it was ready:\n${tail()}`);
    }
    if (Date.now() > deadline) {
      await stopEarly();
      throw new Error(`${options.name} was not ready within ${timeoutMs} ms:\n${tail()}`);
    }
    url = await options.ready(output);
    if (url === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  const hostPort = new URL(url).host;
  const pid = child.pid!;
  return {
    name: options.name,
    url,
    hostPort,
    pid,
    output: () => output.slice(-OUTPUT_KEPT),
    processIds: () => processTree(pid),
    stop: stopEarly,
  };
}

/** `pid` and every process below it, from /proc/<pid>/task/<tid>/children (Linux 3.5+). */
export async function processTree(pid: number): Promise<number[]> {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && found.length < 256) {
    const next = queue.shift()!;
    found.push(next);
    let tasks: string[];
    try {
      tasks = await readdir(`/proc/${next}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      const children = await readFile(`/proc/${next}/task/${tid}/children`, 'utf8').catch(() => '');
      for (const child of children.split(' ')) if (child.trim()) queue.push(Number(child));
    }
  }
  return found;
}

/** True when `GET <url>/v2/` answers at all with 200 or 401 (the registry is serving). */
export async function answersV2(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}

export interface OutpostMainOptions {
  dataDir: string;
  /** The CLI to run. Default: this checkout's `dist/bin/outpost.js`. */
  bin?: string;
  cleanup: Cleanup;
  /** Extra OUTPOST_MAIN_* variables. */
  env?: Record<string, string>;
  /** Options for node itself, such as `--cpu-prof` (before the script). */
  nodeArgs?: string[];
  /** More options for `outpost main` (`--database`, `--blobs`, `--public-url` of a replica). */
  args?: string[];
}

/** `node <bin> main --listen 127.0.0.1:0 --data <dataDir>`; ready when it logs its URL and answers /v2/. */
export async function startOutpostMain(options: OutpostMainOptions): Promise<ServerProcess> {
  const bin = options.bin ?? OUTPOST_BIN;
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  return spawnServer({
    name: 'outpost main',
    command: process.execPath,
    args: [
      ...(options.nodeArgs ?? []),
      bin,
      'main',
      '--listen',
      '127.0.0.1:0',
      '--data',
      options.dataDir,
      ...(options.args ?? []),
    ],
    ...(options.env && { env: options.env }),
    cleanup: options.cleanup,
    ready: async (output) => {
      const url = /"msg":"main registry listening".*?"bindUrl":"([^"]+)"/.exec(output)?.[1];
      return url !== undefined && (await answersV2(url)) ? url : undefined;
    },
  });
}

export interface OutpostEdgeOptions {
  dataDir: string;
  /** The name main knows this cache by (redirect tokens carry it in `aud`). */
  name: string;
  /** Where misses are fetched (main, or a counting proxy in front of it). */
  upstream: string;
  /** Main's own URL: token issuer and JWKS. Default: `upstream`. */
  issuer?: string;
  bin?: string;
  cleanup: Cleanup;
  /** Extra OUTPOST_EDGE_* variables. */
  env?: Record<string, string>;
  nodeArgs?: string[];
}

/**
 * `node <bin> edge --name N --upstream U --listen 127.0.0.1:0 --data D`; ready when it logs its
 * URL and answers /v2/.
 */
export async function startOutpostEdge(options: OutpostEdgeOptions): Promise<ServerProcess> {
  const bin = options.bin ?? OUTPOST_BIN;
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  const issuer = options.issuer ?? options.upstream;
  return spawnServer({
    name: 'outpost edge',
    command: process.execPath,
    args: [
      ...(options.nodeArgs ?? []),
      bin,
      'edge',
      '--name',
      options.name,
      '--upstream',
      options.upstream,
      '--issuer',
      issuer,
      '--listen',
      '127.0.0.1:0',
      '--data',
      options.dataDir,
    ],
    ...(options.env && { env: options.env }),
    cleanup: options.cleanup,
    ready: async (output) => {
      const url = /"msg":"edge cache listening".*?"bindUrl":"([^"]+)"/.exec(output)?.[1];
      return url !== undefined && (await answersV2(url)) ? url : undefined;
    },
  });
}
