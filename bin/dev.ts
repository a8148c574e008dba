/**
 * @module `outpost dev`: main and one edge named `local` on loopback with embedded defaults,
 * the edge registered on main, ready for `skopeo copy` at once. For trying the product and for
 * development; production runs `outpost main` and `outpost edge` separately.
 */
import { join } from 'node:path';
import { createLogger } from '../src/log/logger.js';
import { parseCommandLine, UsageError } from '../src/cli/parse-command-line.js';
import { untilStopSignal } from '../src/cli/signals.js';
import { loadMainConfig } from '../main/config.js';
import { startMain } from '../main/service.js';
import { loadEdgeConfig } from '../edge/config.js';
import { startEdge } from '../edge/service.js';
import { ListenError } from '../src/http/serve.js';
import { ConfigError } from '../src/config/load.js';

export const DEV_USAGE = `Usage: outpost dev [--data DIR] [--main-listen HOST:PORT] [--edge-listen HOST:PORT]
  Starts main (default 127.0.0.1:5000) and an edge cache "local" (default 127.0.0.1:5001),
  with their data under ./data. The admin password comes from OUTPOST_ADMIN_PASSWORD, or is
  generated and printed on the first start.`;

export async function devCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, {
      data: { type: 'string', default: './data' },
      'main-listen': { type: 'string', default: '127.0.0.1:5000' },
      'edge-listen': { type: 'string', default: '127.0.0.1:5001' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`outpost dev: ${err.message} (see outpost dev --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) {
    process.stderr.write(`outpost dev: unexpected argument "${positionals[0]}" (see outpost dev --help)\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${DEV_USAGE}\n`);
    return 0;
  }
  const logger = createLogger({ level: 'info' });
  // A pull is dozens of requests: the access log would bury the dev setup's own messages (set the variables to see it).
  env = { OUTPOST_MAIN_LOG__ACCESS_SAMPLE_RATE: '0', OUTPOST_EDGE_LOG__ACCESS_SAMPLE_RATE: '0', ...env };
  let mainConfig;
  try {
    const flags = { data: join(values.data, 'main'), listen: values['main-listen'] };
    mainConfig = loadMainConfig(flags, env, { listen: '--main-listen' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`outpost dev: main: ${err.message}\n`);
    return 2;
  }
  let main;
  try {
    const adminPassword = env.OUTPOST_ADMIN_PASSWORD;
    main = await startMain(mainConfig, logger.child({ service: 'main' }), adminPassword ? { adminPassword } : {});
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    process.stderr.write(`outpost dev: main did not start: ${err.message}\n`);
    process.stderr.write('  choose another address with --main-listen HOST:PORT\n');
    return 1;
  }

  let edge;
  try {
    const edgeFlags = {
      name: 'local',
      upstream: main.url,
      data: join(values.data, 'edge'),
      listen: values['edge-listen'],
      maxBytes: '5GiB',
    };
    const edgeConfig = loadEdgeConfig(edgeFlags, env, { listen: '--edge-listen' });
    edge = await startEdge(edgeConfig, logger.child({ service: 'edge', cache: 'local' }));
  } catch (err) {
    // Half a dev setup is no use: stop main too, so the command ends and frees main's port.
    await main.stop();
    // Main created `admin` on this first start: its password must not be lost with the edge.
    const password = main.generatedAdminPassword;
    if (password) process.stdout.write(`Created user "admin" with password: ${password}\n`);
    if (!(err instanceof ConfigError || err instanceof ListenError)) throw err;
    process.stderr.write(`outpost dev: the edge cache did not start, main was stopped: ${err.message}\n`);
    if (err instanceof ConfigError) return 2;
    process.stderr.write('  choose another address with --edge-listen HOST:PORT\n');
    return 1;
  }
  const local = await main.caches.caches.get('local');
  if (!local) {
    await main.caches.caches.create({ name: 'local', host: edge.url, region: 'this machine' });
  } else if (local.host !== edge.url) {
    await main.caches.caches.update('local', { host: edge.url });
  }

  const registryHost = new URL(main.url).host;
  process.stdout.write(
    [
      '',
      `  outpost is running`,
      `    main registry   ${main.url}   (web pages, /v2 API, /api/v0)`,
      `    edge "local"    ${edge.url}`,
      main.generatedAdminPassword
        ? `    admin password  ${main.generatedAdminPassword}   (shown once; user "admin")`
        : `    admin user      admin (password from OUTPOST_ADMIN_PASSWORD or your first start; to reset it:\n` +
          `      npx outpost main user passwd admin --password-stdin --data ${join(values.data, 'main')})`,
      '',
      `  try: skopeo copy --dest-creds admin:PASSWORD --dest-tls-verify=false ` +
        `docker://docker.io/library/alpine:latest docker://${registryHost}/admin/alpine:latest`,
      `  (or from a local OCI layout: oci:DIR:TAG). Then pick the "local" cache on ` +
        `${main.url}/profile and pull it back.`,
      '',
    ].join('\n') + '\n',
  );

  await untilStopSignal(logger);
  await edge.stop();
  await main.stop();
  return 0;
}
