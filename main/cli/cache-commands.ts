/**
 * @module `outpost main cache add|list|remove` and `outpost main cache token create`: content
 * caches and join tokens on the data directory, usable while main runs (main reads the cache
 * list from LMDB on every redirect decision, so a change applies at once) or before its first
 * start.
 *
 * A join token is printed once, on stdout and nowhere else; main keeps only its hash. `list`
 * shows each cache's nodes with their health as the database tells it (stored-node-health.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDurationMs } from '../../src/config/units.js';
import { AccountError } from '../accounts/errors.js';
import { createContentCaches, type ContentCache } from '../caches/content-caches.js';
import { createJoinTokens } from '../caches/join-tokens.js';
import { nodesOf } from '../caches/cache-nodes.js';
import { storedNodeHealth } from '../caches/stored-node-health.js';
import type { CacheHealthRecord, CacheHeartbeatRecord } from '../metadata/caches.js';
import { silentLogger } from '../../src/log/logger.js';
import { commandLineActor, recordNow } from '../audit/audit-log.js';
import { openMainData, type MainStorageConfig } from '../main-data.js';
import { EXIT, type CliIo } from './cli-io.js';

export interface CacheCommand {
  /** add | list | remove | token (anything else is a usage error). */
  action: string | undefined;
  /** The positionals after the action. */
  args: string[];
  host?: string;
  upstream?: string;
  region?: string;
  /** `--network`, repeatable. */
  networks: string[];
  /** `--ttl` of `token create`. */
  ttl?: string;
  storage: MainStorageConfig;
}

const ACTIONS = new Set(['add', 'list', 'remove', 'token']);
/** Long enough to bring an edge up the next working day; short enough not to linger. */
export const DEFAULT_JOIN_TOKEN_TTL = '24h';

class UsageError extends Error {
  readonly code = 'OUTPOST_CLI_USAGE';
}

type Checked = { action: 'add' | 'remove'; name: string } | { action: 'list' } | { action: 'token'; ttlMs: number };

/** Checks everything that can be checked without the data directory, so bad input changes nothing. */
function checkCommand(command: CacheCommand): Checked {
  const { action, args } = command;
  if (action === undefined || !ACTIONS.has(action)) {
    throw new UsageError(
      action === undefined
        ? 'missing command: add, list, remove or token create'
        : `unknown command "cache ${action}": expected add, list, remove or token create`,
    );
  }
  const addOnly =
    command.host !== undefined ||
    command.upstream !== undefined ||
    command.region !== undefined ||
    command.networks.length > 0;
  if (addOnly && action !== 'add')
    throw new UsageError('--host, --upstream, --region and --network only apply to cache add');
  if (command.ttl !== undefined && action !== 'token') throw new UsageError('--ttl only applies to cache token create');
  if (action === 'token') {
    if (args.length !== 1 || args[0] !== 'create')
      throw new UsageError('expected: cache token create [--ttl DURATION]');
    const ttlMs = parseDurationMs(command.ttl ?? DEFAULT_JOIN_TOKEN_TTL);
    if (ttlMs === undefined || ttlMs <= 0)
      throw new UsageError(`--ttl: expected a duration such as 30m, 24h or 7d, got "${command.ttl}"`);
    return { action, ttlMs };
  }
  if (action === 'list') {
    if (args.length > 0) throw new UsageError('cache list takes no arguments');
    return { action };
  }
  if (args.length !== 1) throw new UsageError(`cache ${action} takes exactly one cache name`);
  if (action === 'add' && command.host === undefined)
    throw new UsageError('cache add needs --host URL: the public URL clients are redirected to');
  return { action: action as 'add' | 'remove', name: args[0]! };
}

/** Rows as columns two spaces apart, the last column unpadded. */
function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

interface NodeRecords {
  health: Map<string, CacheHealthRecord>;
  heartbeats: Map<string, CacheHeartbeatRecord>;
  now: number;
}

/** The caches, then each cache's nodes with their health as the store tells it. */
function formatCaches(caches: ContentCache[], records: NodeRecords): string {
  const cacheRows = caches.map((c) => [c.name, c.host, c.upstream ?? '(main)', c.region ?? '', c.networks.join(',')]);
  const nodeRows = caches.flatMap(nodesOf).map((node) => {
    const health = storedNodeHealth(records.health.get(node.key), records.heartbeats.get(node.key), records.now);
    return [node.cache, node.id, node.host, health];
  });
  return [
    formatTable([['NAME', 'HOST', 'UPSTREAM', 'REGION', 'NETWORKS'], ...cacheRows]),
    formatTable([['CACHE', 'NODE', 'URL', 'HEALTH'], ...nodeRows]),
  ].join('\n\n');
}

export async function runCacheCommand(command: CacheCommand, io: CliIo): Promise<number> {
  let checked: Checked;
  try {
    checked = checkCommand(command);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`outpost main cache: ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }

  const dataDir = resolve(command.storage.dataDir);
  // Like `user add`, `cache add` and `token create` may provision a data directory before main's first start.
  const needsData = checked.action === 'list' || checked.action === 'remove';
  if (needsData && command.storage.database === undefined && !existsSync(dataDir)) {
    io.err(`outpost main cache: data directory ${dataDir} does not exist (pass --data, or start main once)\n`);
    return EXIT.FAILED;
  }
  const data = await openMainData(command.storage);
  try {
    const store = data.metadata.caches;
    const caches = createContentCaches(store);
    switch (checked.action) {
      case 'add': {
        const cache = await caches.create({
          name: checked.name,
          host: command.host,
          ...(command.upstream !== undefined && { upstream: command.upstream }),
          ...(command.region !== undefined && { region: command.region }),
          networks: command.networks,
        });
        io.out(`added content cache "${cache.name}" at ${cache.host}, pulling from ${cache.upstream ?? 'main'}\n`);
        break;
      }
      case 'remove':
        await caches.remove(checked.name);
        io.out(`removed content cache "${checked.name}"\n`);
        break;
      case 'token': {
        const { token, expiresAt } = await createJoinTokens(store).create(checked.ttlMs);
        io.out(`${token}\n`);
        io.err(
          `join token valid until ${new Date(expiresAt).toISOString()}, for any number of edges; it ` +
            `is shown only now.\nStart an edge with: outpost edge --name NAME --upstream MAIN_URL ` +
            `--public-url EDGE_URL --join-token TOKEN (or OUTPOST_EDGE_JOIN_TOKEN)\n`,
        );
        break;
      }
      default: {
        const list = await caches.list();
        if (list.length === 0) {
          io.out('no content caches\n');
          break;
        }
        const records = { health: await store.listHealth(), heartbeats: await store.listHeartbeats(), now: Date.now() };
        io.out(`${formatCaches(list, records)}\n`);
      }
    }
    if (checked.action !== 'list') {
      // A join token is a credential: its creation is recorded, never the token.
      const target = checked.action === 'token' ? '' : checked.name;
      const change = { type: 'admin.caches', actor: commandLineActor(), target, outcome: 'success' } as const;
      await recordNow(data.metadata.audit, { ...change, detail: { action: checked.action } }, silentLogger);
    }
    return EXIT.OK;
  } catch (err) {
    if (err instanceof AccountError) {
      io.err(`outpost main cache: ${err.message}\n`);
      return err.code === 'INVALID_INPUT' ? EXIT.USAGE : EXIT.FAILED;
    }
    throw err;
  } finally {
    await data.close();
  }
}
