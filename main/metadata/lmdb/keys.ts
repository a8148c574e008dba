/**
 * @module `KeyStore` on files, for the embedded main: the key files stay where and what they
 * have always been, so existing data directories keep their keys.
 *
 *	<data>/keys/          mode 0700
 *	├── keyring.json      [{ kid, createdAt, retiredAt? }], oldest first (replaced atomically)
 *	└── <kid>.pem         PKCS#8 Ed25519 private key, mode 0600
 *
 * The version is the keyring file's modification time, inode and size: the file is replaced by
 * rename, so a rotation gives it a new inode even when its mtime equals the last one (coarse
 * timestamps). `add` is one rename: a reader sees the old ring or the new one, never half.
 * Two rotations at once (two CLI runs, or a CLI run and main) are serialized by a lock file,
 * `keyring.lock`, created exclusively around the check of the newest key and the rename, so
 * that one rotation wins. A lock older than `STALE_LOCK_MS` was left by a process that died
 * inside those few milliseconds, and is broken.
 */
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { KeyEntry, KeyStore } from '../keys.js';

// A kid is a base64url SHA-256 thumbprint: checked before it becomes a file name.
const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const STALE_LOCK_MS = 10_000;

/** Runs `fn` holding `lockFile` (created exclusively); waits for another holder, breaks a stale lock. */
async function withLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await (await open(lockFile, 'wx', 0o600)).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const since = await stat(lockFile).then(
        (st) => Date.now() - st.mtimeMs,
        () => 0,
      );
      if (since > STALE_LOCK_MS) await rm(lockFile, { force: true });
      else await sleep(5);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}

export function createFileKeyStore(dir: string): KeyStore {
  const ringFile = join(dir, 'keyring.json');
  const pemFile = (kid: string) => {
    if (!KID_PATTERN.test(kid)) throw new Error(`key id ${JSON.stringify(kid.slice(0, 64))} is not a key thumbprint`);
    return join(dir, `${kid}.pem`);
  };
  const entries = async (): Promise<KeyEntry[]> => {
    try {
      return JSON.parse(await readFile(ringFile, 'utf8')) as KeyEntry[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  };
  return {
    async version() {
      try {
        const st = await stat(ringFile);
        return `${st.mtimeMs}:${st.ino}:${st.size}`;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    entries,
    privateKeyPem: async (kid) => readFile(pemFile(kid), 'utf8'),
    async add({ privateKeyPem, ...key }, after) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const pemPath = pemFile(key.kid);
      await writeFile(pemPath, privateKeyPem, { mode: 0o600 });
      await chmod(pemPath, 0o600);
      const added = await withLock(join(dir, 'keyring.lock'), async () => {
        const current = await entries();
        if (current[current.length - 1]?.kid !== after) return false;
        const next: KeyEntry[] = current.map((k) => ({ ...k, retiredAt: k.retiredAt ?? key.createdAt }));
        next.push(key);
        const temp = `${ringFile}.${process.pid}.tmp`;
        await writeFile(temp, JSON.stringify(next, null, 2), { mode: 0o600 });
        await rename(temp, ringFile);
        return true;
      });
      if (!added) await rm(pemPath, { force: true });
      return added;
    },
  };
}
