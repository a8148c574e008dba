/**
 * @module `outpost edge`: flags, configuration, signals; the operator's commands against a
 * running edge are in admin-cli.ts.
 */
import { ConfigError } from '../src/config/load.js';
import { parseCommandLine, UsageError } from '../src/cli/parse-command-line.js';
import { createLogger } from '../src/log/logger.js';
import { createBatchedWrite } from '../src/log/batched-write.js';
import { loadEdgeConfig, type EdgeFlags } from './config.js';
import { startEdge } from './service.js';
import { ADMIN_COMMANDS, ADMIN_USAGE, runAdminCommand } from './admin-cli.js';
import { untilStopSignal } from '../src/cli/signals.js';
import { ListenError } from '../src/http/serve.js';
import { DataDirError } from '../src/config/data-dir.js';
import { NGINX_CONFIG_USAGE, nginxFrontConfig, nginxFrontOptions } from './nginx-config.js';

/** How long log lines wait to be written together. */
const LOG_BATCH_MS = 10;

export const EDGE_USAGE = `Usage: outpost edge [serve] --name NAME --upstream URL [options]   serve an edge cache
${ADMIN_USAGE}
${NGINX_CONFIG_USAGE}

Options:
  --name NAME              this cache's name, as registered on main
  --upstream URL           main, or another edge this one pulls through
  --public-url URL         URL clients reach this edge at
  --listen HOST:PORT       address to listen on (default 127.0.0.1:5001)
  --data DIR               data directory (default ./data/edge)
  --max-bytes SIZE         disk budget for cached blobs (default 10GiB)
  --blob-ttl DURATION      evict blobs not read for this long (default: never)
  --issuer URL             main's URL, the issuer of redirect tokens (default: upstream)
  --jwks-url URL           where main's keys are (default <issuer>/auth/jwks.json)
  --jwks-file FILE         trust the keys in this JWKS file instead (air-gapped sites)
  --admin-token-file FILE  operator token for /api/v0/cache
  --join-token TOKEN       register on main at start-up (from \`outpost main cache token create\`;
                           prefer OUTPOST_EDGE_JOIN_TOKEN: arguments show in the process list)
  --node-id ID             this edge's id in its group (--name): several edges of one name share
                           the name's pulls (default: a random id kept in the data directory)
  --region REGION          region shown to users when the edge registers itself
  --front nginx            hand hits to nginx in front (see nginx-config above; default: none)
  --tls-cert FILE --tls-key FILE
  --config FILE            JSON configuration file
Every setting can also come from OUTPOST_EDGE_* environment variables (see README).`;

const FLAG_NAMES = [
  'name',
  'upstream',
  'public-url',
  'listen',
  'data',
  'max-bytes',
  'blob-ttl',
  'issuer',
  'jwks-url',
  'jwks-file',
  'admin-token-file',
  'join-token',
  'node-id',
  'region',
  'front',
  'tls-cert',
  'tls-key',
  'config',
] as const;

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export async function edgeCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, {
      ...Object.fromEntries(FLAG_NAMES.map((f) => [f, { type: 'string' as const }])),
      edge: { type: 'string' },
      'token-file': { type: 'string' },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
      'front-listen': { type: 'string' },
      'server-name': { type: 'string' },
      user: { type: 'string' },
      'nginx-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`outpost edge: ${err.message} (see outpost edge --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'serve';
  if (ADMIN_COMMANDS.has(command) && !values.help) {
    return runAdminCommand(
      command,
      positionals.slice(1),
      {
        ...(values.edge !== undefined && { edge: values.edge }),
        ...(values['token-file'] !== undefined && { tokenFile: values['token-file'] }),
        ...(values.username !== undefined && { username: values.username }),
        passwordStdin: values['password-stdin'] === true,
        json: values.json === true,
      },
      env,
      {
        out: (text) => void process.stdout.write(text),
        err: (text) => void process.stderr.write(text),
        stdin: process.stdin,
      },
    );
  }
  const stringFlag = (flag: string): string | undefined => {
    const value = (values as Record<string, unknown>)[flag];
    return typeof value === 'string' ? value : undefined;
  };
  if (command === 'nginx-config' && !values.help) {
    const options = nginxFrontOptions(
      {
        data: stringFlag('data'),
        listen: stringFlag('listen'),
        frontListen: stringFlag('front-listen'),
        tlsCert: stringFlag('tls-cert'),
        tlsKey: stringFlag('tls-key'),
        serverName: stringFlag('server-name'),
        user: stringFlag('user'),
        nginxDir: stringFlag('nginx-dir'),
      },
      env,
    );
    if ('errors' in options) {
      process.stderr.write(options.errors.map((e) => `outpost edge nginx-config: ${e}\n`).join(''));
      return 2;
    }
    process.stdout.write(nginxFrontConfig(options));
    return 0;
  }
  if (values.help) {
    process.stdout.write(`${EDGE_USAGE}\n`);
    return 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`outpost edge: unknown command "${command}" (see outpost edge --help)\n`);
    return 2;
  }
  const flags: EdgeFlags = {};
  for (const flag of FLAG_NAMES) {
    const value = stringFlag(flag);
    if (value !== undefined) (flags as Record<string, string>)[camel(flag)] = value;
  }
  let config;
  try {
    config = loadEdgeConfig(flags, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`outpost edge: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // Lines of up to 10 ms in one write (batched-write.ts): the hot path logs every hit, and one
  // event-loop turn holds only a few of them. The timer does not hold the process up; exit flushes.
  const lines = createBatchedWrite((text) => void process.stderr.write(text), {
    schedule: (flush) => void setTimeout(flush, LOG_BATCH_MS).unref(),
  });
  process.on('exit', lines.flush);
  // An error line goes out at once, with what was queued before it: it may be the process's last.
  const write = (line: string, level: string) => {
    lines.write(line);
    if (level === 'error') lines.flush();
  };
  const logger = createLogger({ level: config.log.level, write }, { service: 'edge', cache: config.name });
  let service;
  try {
    service = await startEdge(config, logger);
  } catch (err) {
    lines.flush();
    if (err instanceof DataDirError) {
      process.stderr.write(`outpost edge: ${err.message}\n`);
      return 1;
    }
    if (!(err instanceof ListenError)) throw err;
    process.stderr.write(`outpost edge: ${err.message}\n`);
    process.stderr.write('  choose another address with --listen HOST:PORT or OUTPOST_EDGE_LISTEN\n');
    return 1;
  }
  await untilStopSignal(logger);
  await service.stop();
  return 0;
}
