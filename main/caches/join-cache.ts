/**
 * @module An edge registering itself with a join token (`POST /api/v0/content_caches/join`):
 * checks the token, then adds the cache or, when the name is taken, moves it to the host (and
 * region and upstream, when given) the edge reports. The token is checked before anything
 * else, so a caller without one learns nothing, not even whether the name exists.
 *
 * A node joining with a join token gets a new node credential (node-credentials.ts), which it
 * presents from then on: at its next start it registers again with the credential alone, for
 * its own node of its own cache, long after the join token has expired.
 *
 * A join token is as strong as an admin's cache rights for the names it is used with: whoever
 * holds it can point an existing cache at another host. Tokens are short-lived for that reason
 * (see join-tokens.ts).
 */
import type { Logger } from '../../src/log/logger.js';
import { AccountError } from '../accounts/errors.js';
import {
  parseHost,
  parseNodeId,
  type ContentCache,
  type ContentCacheInput,
  type ContentCaches,
} from './content-caches.js';
import type { AuthenticateEdge } from './edge-auth.js';
import { newNodeCredential } from './node-credentials.js';

export interface JoinRequest {
  token?: unknown;
  name?: unknown;
  /** The edge's public URL. */
  host?: unknown;
  region?: unknown;
  /**
   * Where the edge pulls from: a cache name, the URL of a registered cache's host, or "" for
   * main (an edge knows its upstream by URL, not by the name main gave it). Absent: unchanged.
   */
  upstream?: unknown;
  /**
   * The edge's node id in the group `name` (`--node-id`): several edges joining one name with
   * different ids make one group. Absent (an edge older than groups): the cache moves to `host`.
   */
  nodeId?: unknown;
}

export interface JoinResult {
  cache: ContentCache;
  /** False when an existing cache was updated. */
  created: boolean;
  /** Issued to a node that joined with a join token: handed to that edge once, kept by main as a hash. */
  nodeCredential?: string;
}

export interface JoinDeps {
  caches: ContentCaches;
  authenticate: AuthenticateEdge;
  /** Main's own public URL: an upstream given as this URL means main. */
  mainUrl: string;
  logger: Logger;
}

export function createCacheJoin(deps: JoinDeps) {
  /** A cache name, or the name of the cache whose host is this URL; '' for main. */
  async function resolveUpstream(value: unknown): Promise<unknown> {
    if (typeof value !== 'string' || !/^https?:\/\//.test(value)) return value;
    const url = parseHost(value);
    if (url === parseHost(deps.mainUrl)) return '';
    const cache = (await deps.caches.list()).find((c) => c.host === url || c.nodes?.some((n) => n.host === url));
    if (!cache)
      throw new AccountError(
        'INVALID_INPUT',
        `upstream ${url} is neither main nor the host of a registered content cache; register that cache first`,
      );
    return cache.name;
  }

  return async function join(request: JoinRequest): Promise<JoinResult> {
    const authority = await deps.authenticate(request);
    // Checked before anything is written: a bad node id or host must not leave a cache behind.
    if (request.nodeId !== undefined) {
      parseNodeId(request.nodeId);
      parseHost(request.host);
    }
    const input = {
      host: request.host,
      ...(request.region !== undefined && { region: request.region }),
      ...(request.upstream !== undefined && { upstream: await resolveUpstream(request.upstream) }),
    };
    // A node credential re-registers its node as it is; a join token (an admin's say-so) issues a new one.
    const issued = request.nodeId !== undefined && authority === 'join-token' ? newNodeCredential() : undefined;
    const joined = await createOrUpdate(request.name, input, request.nodeId !== undefined);
    // A node of a group: the group keeps its host (the first node's), the node is added or moved.
    const cache =
      request.nodeId === undefined
        ? joined.cache
        : await deps.caches.joinNode(joined.cache.name, request.nodeId, request.host, issued?.hash);
    deps.logger.info(joined.created ? 'content cache joined' : 'content cache joined again', {
      cache: cache.name,
      ...(typeof request.nodeId === 'string' && { node: request.nodeId }),
      host: typeof request.host === 'string' ? request.host : cache.host,
      upstream: cache.upstream ?? 'main',
    });
    return { cache, created: joined.created, ...(issued && { nodeCredential: issued.credential }) };
  };

  /**
   * Adds the cache, or moves it when the name is taken. Two edges joining under one name at
   * once (two replicas of one operator's edge) both succeed: the one whose create lost to the
   * other's updates the cache the other created.
   */
  async function createOrUpdate(name: unknown, input: ContentCacheInput, asNode: boolean): Promise<JoinResult> {
    for (let attempt = 0; ; attempt++) {
      const existing = typeof name === 'string' ? await deps.caches.get(name) : undefined;
      try {
        if (existing) {
          // A node's host is the node's (joinNode), not the group's.
          const fields = asNode ? { ...input, host: existing.host } : input;
          return { cache: await deps.caches.update(existing.name, fields), created: false };
        }
        return { cache: await deps.caches.create({ name, ...input }), created: true };
      } catch (err) {
        // Removed or created between the read and the write: read again, once.
        const raced = err instanceof AccountError && (err.code === 'ALREADY_EXISTS' || err.code === 'NOT_FOUND');
        if (!raced || attempt > 0) throw err;
      }
    }
  }
}

export type CacheJoin = ReturnType<typeof createCacheJoin>;
