/**
 * The KeyStore contract on the embedded backend's key files, plus what only it promises: the
 * layout main always used, so that an existing data directory keeps its keys.
 */
import { describe, expect, it } from 'vitest';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileKeyStore } from '../../../main/metadata/lmdb/keys.js';
import { KeyRing } from '../../../src/auth/keys.js';
import { describeKeyStore } from '../../contract/keys.js';
import { createTempDir } from '../../helpers/temp-dir.js';

describeKeyStore('files', async () => {
  const temp = await createTempDir('outpost-key-store-');
  const dir = join(temp.path, 'keys');
  return {
    store: createFileKeyStore(dir),
    openAgain: async () => createFileKeyStore(dir),
    cleanup: () => temp.remove(),
  };
});

describe('the key files of the embedded backend', () => {
  it('keep keyring.json and one <kid>.pem per key, owner only, and no lock or losing key behind', async () => {
    const temp = await createTempDir('outpost-key-files-');
    try {
      const dir = join(temp.path, 'keys');
      const options = { maxTokenLifetimeMs: 60_000 };
      const ring = await KeyRing.open({ store: createFileKeyStore(dir), ...options });
      const other = await KeyRing.open({ store: createFileKeyStore(dir), ...options });
      await Promise.all([ring.rotate(), other.rotate(), ring.rotate()]);
      // However the rotations interleaved, one .pem per key of the ring: a losing key leaves none.
      const kids = (await createFileKeyStore(dir).entries()).map((e) => e.kid);
      expect(kids.length).toBeGreaterThanOrEqual(2);
      expect((await readdir(dir)).sort()).toEqual([...kids.map((kid) => `${kid}.pem`), 'keyring.json'].sort());
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      for (const file of await readdir(dir)) expect((await stat(join(dir, file))).mode & 0o777, file).toBe(0o600);
    } finally {
      await temp.remove();
    }
  });

  it('refuses a key id that is not a thumbprint before it becomes a file name', async () => {
    const temp = await createTempDir('outpost-key-files-');
    try {
      const store = createFileKeyStore(join(temp.path, 'keys'));
      await expect(store.privateKeyPem('../../etc/passwd')).rejects.toThrow(/not a key thumbprint/);
    } finally {
      await temp.remove();
    }
  });
});
