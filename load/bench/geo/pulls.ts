/**
 * @module Timed pulls by clients in the region: skopeo (copy to a fresh directory) and docker,
 * one or many at once, each from a registry `host:port` as seen from the region.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../command.js';
import type { ScenarioContext } from '../scenario.js';
import type { Docker } from './docker.js';
import type { Region } from './netns.js';

export interface PullTarget {
  hostPort: string;
  /** `user:password`, or none for the floor registry. */
  creds?: string;
}

export const REPO = 'bench/geo';
export const TAG = '1';

/** Seconds from the first client's start to the last client's end. */
async function timed(step: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await step();
  return (performance.now() - started) / 1000;
}

/**
 * Where skopeo writes: `oci` (an OCI layout directory; skopeo fetches up to 6 blobs at once, as
 * docker fetches 3) or `dir` (a plain directory; skopeo then fetches one blob after the other,
 * so every per-blob round trip to main adds up).
 */
export type SkopeoDestination = 'oci' | 'dir';

export interface PullOutcome {
  /** From the first client's start to the last client's end. */
  seconds: number;
  /** The last line of each failed client's output (a pull that fails is not retried). */
  failures: string[];
}

/** The last non-empty line of a failed command's message (skopeo's own error). */
const lastLine = (err: unknown) =>
  String((err as Error).message ?? err)
    .trim()
    .split('\n')
    .at(-1)!
    .slice(0, 300);

export interface Pullers {
  /**
   * `clients` skopeo copies at once into fresh directories (removed afterwards). Clients of a
   * multi-client pull that fail are reported in the outcome; a single client failing throws.
   */
  skopeo(target: PullTarget, clients?: number): Promise<PullOutcome>;
  /** One docker pull; every image is removed before and after. */
  docker(docker: Docker, target: PullTarget): Promise<number>;
}

export function pullers(ctx: ScenarioContext, region: Region, destination: SkopeoDestination): Pullers {
  let serial = 0;
  // Pulled bytes left in the page cache from the previous pull would be written back during the
  // next one: settle them first, outside the timed window.
  const settle = () => runCommand('sync', [], { timeoutMs: 300_000, signal: ctx.signal });
  return {
    async skopeo(target, clients = 1) {
      const dirs = Array.from({ length: clients }, () => join(ctx.workDir, `pulled-${serial++}`));
      await settle();
      try {
        const started = performance.now();
        const outcomes = await Promise.allSettled(
          dirs.map((dir) => {
            const [command, args] = region.enter('skopeo', [
              '--insecure-policy',
              'copy',
              '--preserve-digests',
              '--src-tls-verify=false',
              ...(target.creds ? [`--src-creds=${target.creds}`] : []),
              `docker://${target.hostPort}/${REPO}:${TAG}`,
              destination === 'oci' ? `oci:${dir}:${TAG}` : `dir:${dir}`,
            ]);
            return runCommand(command, args, { timeoutMs: 1_800_000, signal: ctx.signal, cleanup: ctx.cleanup });
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        ctx.signal.throwIfAborted();
        const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [lastLine(o.reason)] : []));
        // A single client failing leaves no time to report: that pull was the measurement.
        if (clients === 1 && failures.length === 1) throw new Error(`the pull failed: ${failures[0]}`);
        return { seconds, failures };
      } finally {
        await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
      }
    },
    async docker(docker, target) {
      await docker.removeImages(ctx.signal);
      await settle();
      try {
        return await timed(() => docker.pull(`${target.hostPort}/${REPO}:${TAG}`, target.creds, ctx.signal));
      } finally {
        await docker.removeImages(ctx.signal);
      }
    },
  };
}
