/** @module Main's health: the metadata backend answers and the data directory is writable, with free space. */
import { access, constants, statfs } from 'node:fs/promises';
import type { HealthCheck } from '../src/http/ops-routes.js';
import type { RegistryMetadata } from './metadata/registry.js';

export function createMainHealth(metadata: Pick<RegistryMetadata, 'ping'>, dataDir: string): HealthCheck {
  return async () => {
    const details: Record<string, unknown> = {};
    let ok = true;
    try {
      await metadata.ping();
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
