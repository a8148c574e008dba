/**
 * @module A docker daemon of the benchmark's own (Debian `docker.io`) in the region namespace,
 * and docker pulls through it.
 *
 * dockerd runs with everything in the scenario's directory (data root, exec root, pid file,
 * socket, the client's config), the vfs storage driver (no overlay mounts to undo), no bridge and
 * no iptables rules, and the region's /30 as an insecure (plain HTTP) registry range. The client
 * is /usr/bin/docker from docker.io, talking to that socket only; /usr/local/bin/docker (a
 * client without a daemon) is not used.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../command.js';
import type { Cleanup } from '../cleanup.js';
import { spawnServer, type Requirement, type ServerProcess } from '../processes.js';
import type { Region } from './netns.js';

export const DOCKERD: Requirement = {
  binary: 'dockerd',
  debianPackage: 'docker.io',
  find: () => (existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : undefined),
};
const DOCKER_CLIENT = '/usr/bin/docker';

export interface Docker {
  daemon: ServerProcess;
  /** `docker pull <ref>` as `creds` (`user:password`, or anonymous); resolves once the image is unpacked. */
  pull(ref: string, creds: string | undefined, signal?: AbortSignal): Promise<void>;
  /** Removes every image, so that the next pull fetches every layer again. */
  removeImages(signal?: AbortSignal): Promise<void>;
}

export async function startDocker(dir: string, region: Region, cleanup: Cleanup): Promise<Docker> {
  await mkdir(join(dir, 'config'), { recursive: true });
  // The client's credentials for the registry pulled from, as `docker login` would store them.
  const login = (host: string, creds: string | undefined) =>
    writeFile(
      join(dir, 'config', 'config.json'),
      JSON.stringify({ auths: creds ? { [host]: { auth: Buffer.from(creds).toString('base64') } } : {} }),
    );
  const socket = `unix://${join(dir, 'docker.sock')}`;
  const client = (args: string[], timeoutMs: number, signal?: AbortSignal) =>
    runCommand(DOCKER_CLIENT, ['--config', join(dir, 'config'), '-H', socket, ...args], {
      timeoutMs,
      cleanup,
      ...(signal && { signal }),
    });
  const [command, args] = region.enter('/usr/sbin/dockerd', [
    '--storage-driver=vfs',
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
    `--insecure-registry=${region.rootAddress.replace(/\.\d+$/, '.0')}/30`,
    `--data-root=${join(dir, 'data')}`,
    `--exec-root=${join(dir, 'exec')}`,
    `--pidfile=${join(dir, 'docker.pid')}`,
    '-H',
    socket,
  ]);
  const daemon = await spawnServer({
    name: 'dockerd (region)',
    command,
    args,
    cleanup,
    readyTimeoutMs: 60_000,
    stopGraceMs: 20_000,
    ready: async () => {
      try {
        await client(['version', '--format', '{{.Server.Version}}'], 5_000);
        return socket;
      } catch {
        return undefined;
      }
    },
  });
  return {
    daemon,
    async pull(ref, creds, signal) {
      await login(ref.split('/')[0]!, creds);
      await client(['pull', '--quiet', ref], 900_000, signal);
    },
    async removeImages(signal) {
      const ids = (await client(['images', '--all', '--quiet'], 60_000, signal)).split('\n').filter(Boolean);
      if (ids.length > 0) await client(['rmi', '--force', ...new Set(ids)], 300_000, signal);
    },
  };
}
