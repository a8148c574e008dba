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

export interface Pullers {
  /** `clients` skopeo copies at once into fresh directories (removed afterwards). */
  skopeo(target: PullTarget, clients?: number): Promise<number>;
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
        return await timed(() =>
          Promise.all(
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
          ),
        );
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
