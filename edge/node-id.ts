/**
 * @module This edge's id in its cache group: `--node-id`, else the id kept in the data
 * directory's `node-id` file, made once at random. Kept there so a restarted edge is the same
 * node to main (the blobs main sends it are the ones it already stores); a new data directory
 * is a new node (main replaces the old one at the same URL).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../src/store/private-files.js';

const NODE_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export async function nodeIdOf(dataDir: string, configured?: string): Promise<string> {
  if (configured !== undefined) return configured;
  const file = join(dataDir, 'node-id');
  const kept = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    },
  );
  if (kept !== undefined) {
    if (!NODE_ID.test(kept)) throw new Error(`${file}: "${kept.slice(0, 80)}" is not a node id; remove the file`);
    return kept;
  }
  const id = `node-${randomBytes(6).toString('hex')}`;
  // 'wx': two edges starting on one directory would be a mistake anyway; the second one fails here.
  await writeFile(file, `${id}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  return id;
}
