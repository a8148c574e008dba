/**
 * A small, real file system for tests of a full disk: a tmpfs mounted on a fresh temporary
 * directory. Mounting needs root (or CAP_SYS_ADMIN), so the suites that use it run under
 * `npm run test:full-disk`, not `npm test`; without the right they fail with this reason,
 * never skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  path: string;
  /** Unmounts (lazily: a service that failed to stop may still hold a file there) and removes the directory. */
  remove(): Promise<void>;
}

/** Mounts a tmpfs of `size` (as mount(8) takes it: `1m`, `6m`) on a new directory named after `prefix`. */
export async function mountSmallDisk(prefix: string, size: string): Promise<SmallDisk> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (err) {
    await rmdir(path);
    const fix = 'run npm run test:full-disk as root';
    const why = `mounting a ${size} tmpfs as a full disk needs root (or CAP_SYS_ADMIN): ${fix}`;
    throw new Error(`${why}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    path,
    async remove() {
      execFileSync('umount', ['-l', path]);
      await rmdir(path);
    },
  };
}
