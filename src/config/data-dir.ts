/**
 * @module The data directory a service keeps everything in: created on first use (0700, it holds
 * password hashes and private blobs), and refused with a message that says it is the data
 * directory, and which setting names it, when it cannot be used.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

export class DataDirError extends Error {
  readonly code = 'OUTPOST_DATA_DIR_UNUSABLE';
  constructor(
    readonly dir: string,
    reason: string,
    setting: string,
  ) {
    super(`data directory ${dir}: ${reason} (set it with ${setting})`);
    this.name = 'DataDirError';
  }
}

const MKDIR_REASONS: Record<string, string> = {
  EEXIST: 'exists and is not a directory',
  ENOTDIR: 'a part of its path is a file, not a directory',
  EACCES: 'cannot be created here: permission denied',
  EPERM: 'cannot be created here: operation not permitted',
  EROFS: 'is on a read-only file system',
  ENOSPC: 'cannot be created: no space left on the device',
};

/**
 * Creates `dir` (and missing parents) unless it exists, and checks that this process can write
 * to it. Returns its absolute path. `setting` names the flag and variable, such as
 * `--data / OUTPOST_MAIN_DATA_DIR`.
 */
export async function prepareDataDir(dir: string, setting: string): Promise<string> {
  const root = resolve(dir);
  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new DataDirError(root, MKDIR_REASONS[code] ?? `cannot be created (${code || 'error'})`, setting);
  }
  // mkdir succeeds on an existing directory; whether it is usable is another question.
  if (!(await stat(root)).isDirectory()) throw new DataDirError(root, 'exists and is not a directory', setting);
  try {
    await access(root, constants.W_OK | constants.X_OK);
  } catch {
    throw new DataDirError(root, `is not writable by this user (uid ${process.getuid?.() ?? '?'})`, setting);
  }
  return root;
}
