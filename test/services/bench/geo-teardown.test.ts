/**
 * The geo benchmark builds a network namespace, a veth pair, servers and a temp dir: this proves
 * they are all gone after the run, whether it ends, is interrupted, or is killed outright.
 * Needs root, iproute2, nsenter, skopeo and docker-registry (as .ci/run installs them).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../../../load/bench/cleanup.js';
import { createRegion, listNamespaces, removeStale } from '../../../load/bench/geo/netns.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const RUN_JS = join(ROOT, 'dist', 'load', 'bench', 'run.js');

const linkExists = (name: string) => {
  try {
    execFileSync('ip', ['link', 'show', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(text)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Starts `npm run bench -- --only geo` (small image, skopeo only) and waits until its world is up. */
async function startGeoRun() {
  const child = spawn(
    process.execPath,
    [RUN_JS, '--only', 'geo', '--reps', '1', '--param', 'docker=no', '--param', 'image-mib=4'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const deadline = Date.now() + 120_000;
  while (!stderr.includes('writing a 4 MiB image')) {
    if (child.exitCode !== null) throw new Error(`the run exited early:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the world was not up within 120 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const netns = /region namespace (og\d+r)/.exec(stderr)![1]!;
  const workDir = /work directory (\S+)/.exec(stderr)![1]!;
  return { child, exited, netns, workDir, stderr: () => stderr };
}

beforeAll(() => {
  // The harness is compiled apart from dist/ (npm run bench does this step).
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'load', 'tsconfig.json')], {
    stdio: 'inherit',
  });
}, 180_000);

describe('the geo benchmark region', () => {
  it('is a namespace joined to the root namespace by a veth pair, deleted with its Cleanup', async () => {
    const cleanup = new Cleanup();
    const region = await createRegion(cleanup);
    try {
      expect(await listNamespaces()).toContain(region.netns);
      const server = createServer((socket) => socket.end('hello from the root namespace'));
      server.listen(0, region.rootAddress);
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const [command, args] = region.enter(process.execPath, [
        '-e',
        `require('net').connect(${port}, '${region.rootAddress}').on('data', (d) => process.stdout.write(d))`,
      ]);
      // Asynchronously: the server answering is in this process.
      const { stdout: reply } = await promisify(execFile)(command, args, { timeout: 20_000 });
      server.close();
      expect(reply).toBe('hello from the root namespace');
      expect(linkExists(region.netns.replace(/r$/, 'm'))).toBe(true);
    } finally {
      await cleanup.runAll(() => undefined);
    }
    expect(await listNamespaces()).not.toContain(region.netns);
    expect(linkExists(region.netns.replace(/r$/, 'm'))).toBe(false);
  });

  it('removes the namespaces of runs whose harness is gone, and only those', async () => {
    let deadPid = 4_000_000;
    while (existsSync(`/proc/${deadPid}`)) deadPid++;
    const stale = `og${deadPid}r`;
    const foreign = `geo-test-${process.pid}`;
    execFileSync('ip', ['netns', 'add', stale]);
    execFileSync('ip', ['netns', 'add', foreign]);
    const cleanup = new Cleanup();
    const own = await createRegion(cleanup);
    try {
      expect(await removeStale()).toEqual([stale]);
      const left = await listNamespaces();
      expect(left).not.toContain(stale);
      expect(left).toEqual(expect.arrayContaining([foreign, own.netns]));
    } finally {
      execFileSync('ip', ['netns', 'delete', foreign]);
      await cleanup.runAll(() => undefined);
    }
  });
});

describe('npm run bench -- --only geo, interrupted', () => {
  it('removes its namespace, processes and work directory on SIGTERM and exits 130', async () => {
    const run = await startGeoRun();
    expect(await listNamespaces()).toContain(run.netns);
    expect(processesMentioning(run.workDir).length).toBeGreaterThan(0);
    run.child.kill('SIGTERM');
    const [code] = await run.exited;
    expect(code, run.stderr()).toBe(130);
    expect(await listNamespaces()).not.toContain(run.netns);
    expect(linkExists(run.netns.replace(/r$/, 'm'))).toBe(false);
    expect(processesMentioning(run.workDir)).toEqual([]);
    expect(existsSync(run.workDir)).toBe(false);
  });

  it('removes its namespace and stops its servers when a second signal makes it leave at once', async () => {
    const run = await startGeoRun();
    run.child.kill('SIGINT');
    // A second signal sent at once could merge with the first: send it once the first was taken.
    const deadline = Date.now() + 30_000;
    while (!run.stderr().includes('stopping (again to force)') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    run.child.kill('SIGINT');
    const [code] = await run.exited;
    expect(code).toBe(130);
    expect(await listNamespaces()).not.toContain(run.netns);
    // Killed by the exit hook with SIGKILL: give the kernel a moment to reap them.
    const reaped = Date.now() + 10_000;
    while (processesMentioning(run.workDir).length > 0 && Date.now() < reaped)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processesMentioning(run.workDir)).toEqual([]);
    execFileSync('rm', ['-rf', run.workDir]);
  });
});
