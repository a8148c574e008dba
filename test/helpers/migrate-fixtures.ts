/**
 * What the migration suites (test/services/migrate/) share: main as a process on an embedded
 * data directory or on PostgreSQL, a key-encryption key file, and `outpost main migrate` run
 * in-process (so that a test can cut a run short) with its output captured.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runMigrateCommand, type MigrateCommand } from '../../main/cli/migrate-command.js';
import { startOutpost, type OutpostProcess } from './outpost-processes.js';

export const MIGRATE_ADMIN_PASSWORD = 'migrate-admin-password';

export async function writeKek(dir: string): Promise<string> {
  const path = join(dir, 'kek');
  await writeFile(path, randomBytes(32).toString('base64'), { mode: 0o600 });
  return path;
}

// The token issuer: one installation keeps its public URL when it moves (nothing is sent there).
const PUBLIC_URL = 'http://127.0.0.1:5999';

/** `outpost main serve` on `dataDir`, with `extra` flags (--database, --blobs...). */
export function startMainProcess(dataDir: string, extra: string[] = []): Promise<OutpostProcess> {
  return startOutpost(
    ['main', 'serve', '--listen', '127.0.0.1:0', '--public-url', PUBLIC_URL, '--data', dataDir, ...extra],
    { OUTPOST_ADMIN_PASSWORD: MIGRATE_ADMIN_PASSWORD },
    'main registry listening',
  );
}

export interface MigrateRun {
  code: number;
  out: string;
  err: string;
}

export async function migrate(command: MigrateCommand): Promise<MigrateRun> {
  let out = '';
  let err = '';
  const io = {
    out: (text: string) => void (out += text),
    err: (text: string) => void (err += text),
    readPassword: () => Promise.reject(new Error('migrate reads no password')),
  };
  const code = await runMigrateCommand(command, io);
  return { code, out, err };
}
