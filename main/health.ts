/** @module Main's health: LMDB answers and the data directory is writable, with free space. */
import { access, constants, statfs } from 'node:fs/promises';
import type { HealthCheck } from '../src/http/ops-routes.js';
import type { MetadataDb } from './registry/metadata-db.js';

export function createMainHealth(db: MetadataDb, dataDir: string): HealthCheck {
  return async () => {
    const details: Record<string, unknown> = {};
    let ok = true;
    try {
      db.repositories.getKeysCount({ limit: 1 });
      details.database = 'ok';
    } catch (err) {
      ok = false;
      details.database = `error: ${(err as Error).message}`;
    }
    try {
      await access(dataDir, constants.W_OK);
      const fs = await statfs(dataDir);
      details.disk = { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    } catch (err) {
      ok = false;
      details.disk = `error: ${(err as NodeJS.ErrnoException).code ?? 'unusable'}`;
    }
    return { ok, details };
  };
}
