/**
 * @module Who may read a data directory: its owner only. Directories are 0700 and files 0600,
 * since the data holds password and token hashes (LMDB), signing keys and private images' blobs.
 *
 * Modes are given at creation (umask can only narrow them). Data directories made by older
 * versions, or by hand, are tightened at start-up: the directories only, because a file in a
 * 0700 directory cannot be reached by anyone else, and a store holds millions of files.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) as 0700; an existing directory is left as it is. */
export async function mkdirPrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates the data directory `root` if needed and takes away every permission of group and
 * others from it and from the directories below it, down to `depth` levels (blobs are three
 * levels down: blobs/<algorithm>/<prefix>). Returns the directories it had to tighten.
 */
export async function tightenDataDir(root: string, depth = 3): Promise<string[]> {
  await mkdirPrivate(root);
  const tightened: string[] = [];
  const visit = async (dir: string, level: number): Promise<void> => {
    const info = await stat(dir);
    if ((info.mode & 0o077) !== 0) {
      await chmod(dir, info.mode & PRIVATE_DIR_MODE);
      tightened.push(dir);
    }
    if (level >= depth) return;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await visit(join(dir, entry.name), level + 1);
    }
  };
  await visit(root, 0);
  return tightened;
}

/**
 * For LMDB, which creates its directory and files itself with the process umask (0644 files
 * usually): makes `dir` 0700 before it opens, and its files 0600 right after.
 */
export function privateLmdbDir(dir: string): { tightenFiles(): void } {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return {
    tightenFiles() {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const info = statSync(path);
        if (info.isFile() && (info.mode & 0o077) !== 0) chmodSync(path, PRIVATE_FILE_MODE);
      }
    },
  };
}
