/**
 * Real servers on 127.0.0.1:0 with real storage in temporary directories: LMDB, or PostgreSQL
 * and a blob directory (`services-postgres`) or an S3 bucket (`services-s3`), as
 * test/helpers/test-backend.ts prepares them.
 *
 * `startTestMain` runs main in this process (fast, inspectable); `spawnMain` runs the built CLI
 * as a child process, for crash and signal tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadMainConfig, type MainFlags } from '../../main/config.js';
import { startMain, type MainService, type StartMainOptions } from '../../main/service.js';
import { createLogger, silentLogger, type Logger } from '../../src/log/logger.js';
import { createTempDir, type TempDir } from './temp-dir.js';
import { backendArgs, prepareTestBackend, type TestBackend } from './test-backend.js';

export const TEST_ADMIN_PASSWORD = 'admin-test-password';

/** `Authorization` header value for Basic credentials. */
export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export interface TestMain {
  url: string;
  dataDir: string;
  backend: TestBackend;
  service: MainService;
  stop(): Promise<void>;
}

export interface TestMainOptions {
  /** Extra OUTPOST_MAIN_* variables, e.g. { OUTPOST_MAIN_STORAGE__DELETE_ENABLED: 'false' }. */
  env?: Record<string, string>;
  /**
   * Token authentication on (users, permissions). Off by default so that protocol tests talk
   * to an open registry; `admin` is created with TEST_ADMIN_PASSWORD either way.
   */
  auth?: boolean;
  /** Reuse a data directory (restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Where to listen; default 127.0.0.1:0 (a main started again at the URL its edges know). */
  listen?: string;
  logger?: Logger;
  now?: () => number;
  /** Passed to startMain (main/service.ts StartMainOptions). */
  vulnerabilityDatabase?: StartMainOptions['vulnerabilityDatabase'];
  scanPollIntervalMs?: number;
}

export async function startTestMain(options: TestMainOptions = {}): Promise<TestMain> {
  const temp: TempDir | undefined = options.dataDir ? undefined : await createTempDir('outpost-main-');
  const dataDir = options.dataDir ?? temp!.path;
  const backend = await prepareTestBackend(dataDir);
  // A database outlives a stop only when the caller keeps the data directory to start again.
  const removeAll = async () => {
    if (temp) await backend.remove();
    await temp?.remove();
  };
  let service: MainService;
  try {
    const flags: MainFlags = { listen: options.listen ?? '127.0.0.1:0', data: dataDir, ...backend.flags };
    const env = { OUTPOST_MAIN_AUTH__ENABLED: String(options.auth ?? false), ...options.env };
    service = await startMain(loadMainConfig(flags, env), options.logger ?? silentLogger, {
      adminPassword: TEST_ADMIN_PASSWORD,
      ...(options.now && { now: options.now }),
      ...(options.vulnerabilityDatabase && { vulnerabilityDatabase: options.vulnerabilityDatabase }),
      ...(options.scanPollIntervalMs !== undefined && { scanPollIntervalMs: options.scanPollIntervalMs }),
    });
  } catch (err) {
    await removeAll();
    throw err;
  }
  return {
    url: service.server.url,
    dataDir,
    backend,
    service,
    async stop() {
      await service.stop();
      await removeAll();
    },
  };
}

export const OUTPOST_BIN = fileURLToPath(new URL('../../dist/bin/outpost.js', import.meta.url));

export interface SpawnedMain {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far (JSON log lines). */
  logs(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/**
 * Runs `outpost main` from dist/ (run `npm run build` first) and waits until it listens, on the
 * project's backend (test/helpers/test-backend.ts: the caller, who owns `dataDir`, removes it).
 * Authentication is off unless `env` turns it on (OUTPOST_MAIN_AUTH__ENABLED=true).
 */
export async function spawnMain(
  dataDir: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<SpawnedMain> {
  const backend = await prepareTestBackend(dataDir);
  const child = spawn(
    process.execPath,
    [OUTPOST_BIN, 'main', '--listen', '127.0.0.1:0', '--data', dataDir, ...backendArgs(backend), ...extraArgs],
    {
      env: {
        ...process.env,
        ...backend.env,
        OUTPOST_MAIN_AUTH__ENABLED: 'false',
        OUTPOST_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`main did not start:\n${stderr}`)), 20_000);
    const check = () => {
      const match = /"msg":"main registry listening".*?"bindUrl":"([^"]+)"/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        child.stderr!.off('data', check);
        resolve(match[1]!);
      }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => reject(new Error(`main exited with ${code}:\n${stderr}`)));
  });
  return { url, child, logs: () => stderr, exited };
}

export { createLogger };
