/**
 * @module `outpost main [serve|gc|user|keys|cache|migrate|scan|vulndb]`: flags, configuration, signals.
 */
import { ConfigError } from '../src/config/load.js';
import { parseCommandLine, UsageError } from '../src/cli/parse-command-line.js';
import { createLogger } from '../src/log/logger.js';
import { formatBytes } from '../src/config/units.js';
import { loadMainConfig, type MainFlags } from './config.js';
import { startMain } from './service.js';
import { openMainData, type MainStorageConfig } from './main-data.js';
import { BlobStoreUnavailableError } from '../src/store/errors.js';
import { collectGarbage } from './registry/gc.js';
import { EXIT, type CliIo } from './cli/cli-io.js';
import { readPassword } from '../src/cli/read-password.js';
import { runUserCommand } from './cli/user-commands.js';
import { runKeyCommand } from './cli/key-commands.js';
import { runCacheCommand } from './cli/cache-commands.js';
import { runMigrateCommand } from './cli/migrate-command.js';
import { runScanCommand } from './cli/scan-command.js';
import { runVulnDbCommand } from './cli/vulndb-command.js';
import { untilStopSignal } from '../src/cli/signals.js';
import { ListenError } from '../src/http/serve.js';
import { DataDirError } from '../src/config/data-dir.js';

export const MAIN_USAGE = `Usage: outpost main [serve] [options]     serve the main registry
       outpost main gc [--dry-run] [options]  remove blobs no manifest references
       outpost main user add NAME [--admin] --password-stdin [options]
       outpost main user passwd NAME --password-stdin [options]
       outpost main user list [options]
       outpost main user remove NAME [options]
       outpost main keys rotate [options]     new signing key (prints its kid)
       outpost main cache add NAME --host URL [--upstream NAME] [--region R] [--network CIDR ...]
       outpost main cache list [options]
       outpost main cache remove NAME [options]
       outpost main cache token create [--ttl 24h]   a join token for edges (shown once)
       outpost main scan REPO:TAG             queue a scan of each platform of the image
       outpost main migrate --to-database URL --secret-key-file F [--to-blobs DIR|URL] [options]
                                              move a stopped embedded main into PostgreSQL
       outpost main vulndb import FILE|DIR [options]  replace the vulnerability database with OSV
                                              records (an OSV all.zip, a directory of .json, a .json)
       outpost main vulndb status [options]   the vulnerability database in use

Options:
  --listen HOST:PORT    address to listen on (default 127.0.0.1:5000)
  --public-url URL      URL clients use to reach this registry
  --data DIR            data directory (default ./data/main)
  --blobs DIR|URL       blobs and uploads elsewhere (default: in --data): a directory (NFS)
                        or s3://BUCKET[/PREFIX]?endpoint=URL&region=R (OUTPOST_MAIN_BLOBS);
                        S3 credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE
  --blobs-redirect      answer blob pulls main serves with a 307 to a presigned S3 URL
  --database URL        keep the metadata in PostgreSQL (postgres://USER:PASSWORD@HOST/DB)
                        instead of the embedded LMDB (OUTPOST_MAIN_DATABASE)
  --secret-key-file FILE
                        key-encryption key sealing the signing keys in PostgreSQL: 32 random
                        bytes, base64 or hex (OUTPOST_MAIN_SECRET_KEY_FILE; with --database)
  --config FILE         JSON configuration file
  --tls-cert FILE       PEM certificate (with --tls-key)
  --tls-key FILE        PEM private key
  --password-stdin      read the password from standard input (typed without echo on a
                        terminal; one trailing newline is removed from piped input)
  --admin               user add: make the user an administrator
  --host URL            cache add: the edge's public URL (where pulls are redirected)
  --upstream NAME       cache add: the cache it pulls from (default: main)
  --region R            cache add: a label shown to users, such as eu-west-1
  --network CIDR        cache add: client network it serves by default (repeatable)
  --ttl DURATION        cache token create: how long the token registers edges (default 24h)
  --to-database URL     migrate: the empty PostgreSQL database to copy --data into
  --to-blobs DIR|URL    migrate: copy the blobs there (a directory or s3://...), verified (default: leave them)
Every setting can also come from OUTPOST_MAIN_* environment variables (see README).
The user, keys, cache, scan and vulndb commands work on the data directory, also while main runs.
migrate resumes where it stopped when run again; stop main before it.
Exit status: 0 done, 1 failed (such as an unknown user), 2 bad usage or input.`;

const COMMANDS = new Set(['serve', 'gc', 'user', 'keys', 'cache', 'migrate', 'scan', 'vulndb']);

const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readPassword: () => readPassword(process.stdin, (text) => void process.stderr.write(text)),
};

export async function mainCli(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo = processIo,
): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, {
      listen: { type: 'string' },
      'public-url': { type: 'string' },
      data: { type: 'string' },
      blobs: { type: 'string' },
      'blobs-redirect': { type: 'boolean' },
      database: { type: 'string' },
      'secret-key-file': { type: 'string' },
      config: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'dry-run': { type: 'boolean' },
      admin: { type: 'boolean' },
      'password-stdin': { type: 'boolean' },
      host: { type: 'string' },
      upstream: { type: 'string' },
      region: { type: 'string' },
      network: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      'to-database': { type: 'string' },
      'to-blobs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`outpost main: ${err.message} (see outpost main --help)\n`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'serve';
  if (values.help || !COMMANDS.has(command)) {
    if (values.help) io.out(`${MAIN_USAGE}\n`);
    else io.err(`outpost main: unknown command "${command}" (see outpost main --help)\n`);
    return values.help ? EXIT.OK : EXIT.USAGE;
  }
  if ((values.admin || values['password-stdin']) && command !== 'user') {
    io.err(`outpost main: --admin and --password-stdin only apply to the user commands\n`);
    return EXIT.USAGE;
  }
  const cacheFlags = ['host', 'upstream', 'region', 'network', 'ttl'] as const;
  if (command !== 'cache' && cacheFlags.some((f) => values[f] !== undefined)) {
    io.err(`outpost main: --${cacheFlags.join(', --')} only apply to the cache commands\n`);
    return EXIT.USAGE;
  }
  if (command !== 'migrate' && (values['to-database'] !== undefined || values['to-blobs'] !== undefined)) {
    io.err(`outpost main: --to-database and --to-blobs only apply to migrate\n`);
    return EXIT.USAGE;
  }
  if (command === 'migrate' && values.database !== undefined) {
    io.err(`outpost main migrate: the source is the embedded --data; the target is --to-database\n`);
    return EXIT.USAGE;
  }
  const flags: MainFlags = {
    ...(values.config !== undefined && { config: values.config }),
    ...(values.listen !== undefined && { listen: values.listen }),
    ...(values['public-url'] !== undefined && { publicUrl: values['public-url'] }),
    ...(values.data !== undefined && { data: values.data }),
    ...(values.blobs !== undefined && { blobs: values.blobs }),
    ...(values['blobs-redirect'] !== undefined && { blobsRedirect: values['blobs-redirect'] }),
    ...(values.database !== undefined && { database: values.database }),
    ...(values['secret-key-file'] !== undefined && { secretKeyFile: values['secret-key-file'] }),
    ...(values['tls-cert'] !== undefined && { tlsCert: values['tls-cert'] }),
    ...(values['tls-key'] !== undefined && { tlsKey: values['tls-key'] }),
  };
  let config;
  try {
    config = loadMainConfig(flags, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`outpost main: ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }

  const storage: MainStorageConfig = {
    dataDir: config.dataDir,
    blobs: config.blobs,
    database: config.database,
    secretKeyFile: config.secretKeyFile,
  };
  if (command === 'user') {
    const [, action, ...args] = positionals;
    return runUserCommand(
      {
        action,
        args,
        admin: values.admin ?? false,
        passwordStdin: values['password-stdin'] ?? false,
        storage,
      },
      io,
    );
  }
  if (command === 'cache') {
    const [, action, ...args] = positionals;
    const { host, upstream, region, network, ttl } = values;
    return runCacheCommand(
      {
        action,
        args,
        ...(host !== undefined && { host }),
        ...(upstream !== undefined && { upstream }),
        ...(region !== undefined && { region }),
        networks: network ?? [],
        ...(ttl !== undefined && { ttl }),
        storage,
      },
      io,
    );
  }
  if (command === 'scan') return runScanCommand({ args: positionals.slice(1), storage }, io);
  if (command === 'migrate') {
    return runMigrateCommand(
      {
        args: positionals.slice(1),
        dataDir: config.dataDir,
        blobs: config.blobs,
        toDatabase: values['to-database'],
        toBlobs: values['to-blobs'],
        secretKeyFile: config.secretKeyFile,
      },
      io,
    );
  }
  if (command === 'vulndb') {
    const [, action, ...args] = positionals;
    return runVulnDbCommand({ action, args, storage }, io);
  }
  if (command === 'keys') {
    const [, action, ...args] = positionals;
    const maxTokenLifetimeMs = Math.max(config.auth.tokenLifetimeMs, config.caches.redirectTokenLifetimeMs);
    const prePublishMs = config.auth.keyPrePublishMs;
    return runKeyCommand({ action, args, storage, maxTokenLifetimeMs, prePublishMs }, io);
  }

  const logger = createLogger({ level: config.log.level }, { service: 'main' });

  if (command === 'gc') {
    const data = await openMainData(storage, logger);
    try {
      const result = await collectGarbage({
        metadata: data.metadata.registry,
        store: data.store,
        now: Date.now,
        graceMs: config.storage.gcGraceMs,
        dryRun: values['dry-run'] ?? false,
        logger,
      });
      process.stdout.write(
        `${values['dry-run'] ? 'would remove' : 'removed'} ${result.removed} of ${result.scanned} ` +
          `blobs (${formatBytes(result.removedBytes)})\n`,
      );
    } finally {
      await data.close();
    }
    return 0;
  }

  const adminPassword = env.OUTPOST_ADMIN_PASSWORD;
  let service;
  try {
    service = await startMain(config, logger, adminPassword ? { adminPassword } : {});
  } catch (err) {
    if (err instanceof DataDirError) {
      io.err(`outpost main: ${err.message}\n`);
      return EXIT.FAILED;
    }
    // An S3 bucket that cannot be reached or used (its message names the call and the cause).
    if (err instanceof BlobStoreUnavailableError) {
      io.err(`outpost main: ${err.message}\n  check --blobs / OUTPOST_MAIN_BLOBS and the AWS credentials\n`);
      return EXIT.FAILED;
    }
    if (!(err instanceof ListenError)) throw err;
    io.err(`outpost main: ${err.message}\n  choose another address with --listen HOST:PORT or OUTPOST_MAIN_LISTEN\n`);
    return EXIT.FAILED;
  }
  if (service.generatedAdminPassword) {
    // Shown once, on the terminal, never in the structured log.
    process.stdout.write(
      `\nCreated user "admin" with password: ${service.generatedAdminPassword}\nSign in at ` +
        `${service.url}/ and change it, or run: outpost main user passwd admin --password-stdin\n\n`,
    );
  }
  await untilStopSignal(logger);
  await service.stop();
  return 0;
}
