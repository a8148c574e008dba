/**
 * @module The geo benchmark's network: one network namespace for the far region, joined to the
 * root namespace (where main runs) by a veth pair on a private /30. Every name carries a per-run
 * prefix (`og<pid>`), and nothing is routed beyond the two ends of the pair.
 *
 *   root namespace                         namespace og<pid>r ("region")
 *   main, relays  ── og<pid>m ═══ veth ═══ og<pid>r ──  edge, floor registry, clients
 *                    10.A.B.1/30            10.A.B.2/30
 *
 * Processes enter the region with `nsenter --net=` (not `ip netns exec`, which remounts /sys in
 * a new mount namespace and so hides the cgroup mounts dockerd needs).
 *
 * Teardown: `createRegion` registers the namespace's deletion with the run's Cleanup and, in
 * case the harness exits without reaching it (a second Ctrl-C, an uncaught error), with a
 * synchronous `exit` hook. Deleting the namespace deletes both ends of the veth pair. Namespaces
 * left by a run that was killed outright are removed by the next run (`removeStale`).
 */
import { execFileSync } from 'node:child_process';
import { runCommand } from '../command.js';
import type { Cleanup } from '../cleanup.js';

/** The `og<pid>r` namespaces this module creates; the pid is the harness's. */
const OWN_NAME = /^og(\d+)r$/;

export interface Region {
  /** The namespace's name (`ip netns list`). */
  readonly netns: string;
  /** The root namespace's end of the veth pair, reachable from the region. */
  readonly rootAddress: string;
  /** The region's end, reachable from the root namespace. */
  readonly regionAddress: string;
  /** `command args` run inside the region: the argv to spawn. */
  enter(command: string, args: readonly string[]): [string, string[]];
  /** Deletes the namespace and the veth pair. Idempotent. */
  remove(): Promise<void>;
}

const ip = (args: string[], signal?: AbortSignal) =>
  runCommand('ip', args, { timeoutMs: 10_000, ...(signal && { signal }) });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function listNamespaces(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.trim().split(' ')[0] ?? '')
    .filter(Boolean);
}

/** Deletes `og<pid>r` namespaces whose harness process is gone; returns their names. */
export async function removeStale(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    const pid = Number(OWN_NAME.exec(name)?.[1] ?? Number.NaN);
    return Number.isInteger(pid) && pid !== process.pid && !alive(pid);
  });
  for (const name of stale) await ip(['netns', 'delete', name]);
  return stale;
}

/** A /30 of 10.0.0.0/8 picked from the pid, so two concurrent runs use different subnets. */
function subnetOf(pid: number): [string, string] {
  const a = 100 + (pid % 100);
  const b = Math.floor(pid / 100) % 64;
  return [`10.${a}.${b * 4}.1`, `10.${a}.${b * 4}.2`];
}

export async function createRegion(cleanup: Cleanup, signal?: AbortSignal): Promise<Region> {
  const prefix = `og${process.pid}`;
  const netns = `${prefix}r`;
  const rootIf = `${prefix}m`;
  const regionIf = `${prefix}r`;
  const [rootAddress, regionAddress] = subnetOf(process.pid);

  let removed: Promise<void> | undefined;
  const removeSync = () => {
    if (removed) return;
    try {
      execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // Already gone.
    }
  };
  const remove = () => {
    removed ??= (async () => {
      process.off('exit', removeSync);
      await ip(['netns', 'delete', netns]).catch(() => undefined);
      await ip(['link', 'delete', rootIf]).catch(() => undefined);
    })();
    return removed;
  };
  process.on('exit', removeSync);
  const removeEarly = cleanup.defer(`delete network namespace ${netns}`, remove);
  try {
    await ip(['netns', 'add', netns], signal);
    await ip(['link', 'add', rootIf, 'type', 'veth', 'peer', 'name', regionIf, 'netns', netns], signal);
    await ip(['addr', 'add', `${rootAddress}/30`, 'dev', rootIf], signal);
    await ip(['link', 'set', rootIf, 'up'], signal);
    const inRegion = (args: string[]) => ip(['-n', netns, ...args], signal);
    await inRegion(['addr', 'add', `${regionAddress}/30`, 'dev', regionIf]);
    await inRegion(['link', 'set', regionIf, 'up']);
    await inRegion(['link', 'set', 'lo', 'up']);
  } catch (err) {
    await removeEarly();
    throw err;
  }
  return {
    netns,
    rootAddress,
    regionAddress,
    enter: (command, args) => ['nsenter', [`--net=/var/run/netns/${netns}`, command, ...args]],
    remove: removeEarly,
  };
}
