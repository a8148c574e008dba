/**
 * @module `outpost main [serve|gc]`: flags, configuration, signals.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/config/load.js';
import { createLogger } from '../src/log/logger.js';
import { formatBytes } from '../src/config/units.js';
import { loadMainConfig, type MainFlags } from './config.js';
import { openMainData, startMain } from './service.js';
import { collectGarbage } from './registry/gc.js';

export const MAIN_USAGE = `Usage: outpost main [serve] [options]     serve the main registry
       outpost main gc [--dry-run] [options]  remove blobs no manifest references

Options:
  --listen HOST:PORT    address to listen on (default 127.0.0.1:5000)
  --public-url URL      URL clients use to reach this registry
  --data DIR            data directory (default ./data/main)
  --config FILE         JSON configuration file
  --tls-cert FILE       PEM certificate (with --tls-key)
  --tls-key FILE        PEM private key
Every setting can also come from OUTPOST_MAIN_* environment variables (see README).`;

export async function mainCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      listen: { type: 'string' },
      'public-url': { type: 'string' },
      data: { type: 'string' },
      config: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help || !['serve', 'gc'].includes(command)) {
    process.stdout.write(`${MAIN_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const flags: MainFlags = {
    ...(values.config !== undefined && { config: values.config }),
    ...(values.listen !== undefined && { listen: values.listen }),
    ...(values['public-url'] !== undefined && { publicUrl: values['public-url'] }),
    ...(values.data !== undefined && { data: values.data }),
    ...(values['tls-cert'] !== undefined && { tlsCert: values['tls-cert'] }),
    ...(values['tls-key'] !== undefined && { tlsKey: values['tls-key'] }),
  };
  let config;
  try {
    config = loadMainConfig(flags, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`outpost main: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level }, { service: 'main' });

  if (command === 'gc') {
    const { db, store } = await openMainData(config.dataDir);
    try {
      const result = await collectGarbage({ db, paths: store.paths, now: Date.now, graceMs: config.storage.gcGraceMs, dryRun: values['dry-run'] ?? false, logger });
      process.stdout.write(`${values['dry-run'] ? 'would remove' : 'removed'} ${result.removed} of ${result.scanned} blobs (${formatBytes(result.removedBytes)})\n`);
    } finally {
      await db.close();
    }
    return 0;
  }

  const adminPassword = env.OUTPOST_ADMIN_PASSWORD;
  const service = await startMain(config, logger, adminPassword ? { adminPassword } : {});
  if (service.generatedAdminPassword) {
    // Shown once, on the terminal, never in the structured log.
    process.stdout.write(`\nCreated user "admin" with password: ${service.generatedAdminPassword}\nSign in at ${service.url}/ and change it, or run: outpost main user passwd admin --password-stdin\n\n`);
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      logger.info('shutting down', { signal });
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await service.stop();
  return 0;
}
