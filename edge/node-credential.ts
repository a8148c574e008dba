/**
 * @module This node's credential on main, kept in the data directory's `node-credential` file
 * (owner only). Main issues it when the edge joins with a join token (main/caches/node-credentials.ts);
 * the edge presents it for heartbeats, trouble reports and its registrations at later starts, so
 * that it keeps working on main after the short-lived join token has expired.
 *
 * Written to a temporary file, synced, then renamed: a crash leaves the old credential or the new,
 * never half of one.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../src/store/private-files.js';

const FILE = 'node-credential';
const SHAPE = /^outpost-node-[A-Za-z0-9_-]{20,180}$/;

/** The kept credential, or undefined when there is none (a node that never joined with a token). */
export async function readNodeCredential(dataDir: string): Promise<string | undefined> {
  const file = join(dataDir, FILE);
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const credential = text.trim();
  if (!SHAPE.test(credential)) throw new Error(`${file} does not hold a node credential; remove the file`);
  return credential;
}

export async function saveNodeCredential(dataDir: string, credential: string): Promise<void> {
  if (!SHAPE.test(credential)) throw new Error('main answered the join with a malformed node credential');
  const target = join(dataDir, FILE);
  const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(`${credential}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * What the edge presents on main: its node credential once it has one, else the join token.
 * Shared by the registration, the heartbeat and the trouble reporter, so that a credential issued
 * at a join is used from the next request on.
 */
export class EdgeCredentials {
  constructor(
    private readonly dataDir: string,
    readonly joinToken: string | undefined,
    private credential: string | undefined,
  ) {}

  static async load(dataDir: string, joinToken: string | undefined): Promise<EdgeCredentials> {
    return new EdgeCredentials(dataDir, joinToken, await readNodeCredential(dataDir));
  }

  /** Whether the edge has anything to present to main at all. */
  get any(): boolean {
    return this.credential !== undefined || this.joinToken !== undefined;
  }

  get nodeCredential(): string | undefined {
    return this.credential;
  }

  /** The token for heartbeats and reports. */
  current(): string | undefined {
    return this.credential ?? this.joinToken;
  }

  /** Keeps the credential main issued at a join (on disk first, so a crash cannot lose it once used). */
  async issued(credential: string): Promise<void> {
    await saveNodeCredential(this.dataDir, credential);
    this.credential = credential;
  }
}
