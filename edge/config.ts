/**
 * @module The edge's configuration schema: every setting, its default and its unit.
 *
 * Sources, lowest to highest precedence: defaults here, the JSON file given by `--config`,
 * `OUTPOST_EDGE_*` environment variables (`__` between nested keys), command-line flags.
 */
import { z } from 'zod';
import {
  booleanSchema,
  durationSchema,
  listenSchema,
  logSchema,
  requirePublicUrlOnEveryInterface,
  sizeSchema,
  tlsSchema,
  urlSchema,
} from '../src/config/common.js';
import { loadConfig } from '../src/config/load.js';
import { FRONT_MODES } from './front.js';

const fraction = z.coerce.number<string | number>().gt(0).lte(1);

export const edgeConfigSchema = z
  .object({
    /** This cache's name, as registered on main; redirect tokens must name it in `aud`. Required. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63'),
    /** Where misses are fetched: main, or another edge. Required. */
    upstream: urlSchema,
    /** The URL clients reach this edge at (what main redirects to). Default: derived from listen. */
    publicUrl: urlSchema.optional(),
    /** Address to listen on. Default 127.0.0.1:5001. */
    listen: listenSchema.prefault('127.0.0.1:5001'),
    /** Where blobs and the LMDB index live. Default ./data/edge. */
    dataDir: z.string().min(1).default('./data/edge'),
    /** Disk budget for cached blobs. Default 10GiB. */
    maxBytes: sizeSchema.prefault('10GiB'),
    /** Eviction starts when usage passes this fraction of maxBytes. Default 0.9. */
    highWatermark: fraction.default(0.9),
    /** ... and frees space down to this fraction. Default 0.8. */
    lowWatermark: fraction.default(0.8),
    /** Evict blobs not read for this long; 0 keeps them until space is needed. Default 0. */
    blobTtl: durationSchema.prefault(0),
    /** Issuer of redirect tokens (main's public URL). Default: the upstream URL. */
    issuer: urlSchema.optional(),
    /**
     * When `upstream` is another cache: fetch misses from main (`issuer`) while that cache fails
     * (refused, reset, timed out, 5xx), so a dead middle of a chain costs no pull. Turn off where
     * this edge must not send traffic to main itself. Default true.
     */
    fallbackToMain: booleanSchema.prefault(true),
    /** Where main's public keys are fetched. Default <issuer>/auth/jwks.json. */
    jwksUrl: urlSchema.optional(),
    /** A JWKS file to trust instead of fetching one (air-gapped sites). */
    jwksFile: z.string().min(1).optional(),
    /** A token with an unknown key id waits for a JWKS refresh; refreshes happen at most this often. Default 5s. */
    jwksMinRefreshInterval: durationSchema.prefault('5s'),
    /**
     * A join token from `outpost main cache token create`: at start-up the edge registers itself
     * on main (issuer) under `name` at `publicUrl`. Without it, an admin registers the edge.
     */
    joinToken: z.string().min(1).optional(),
    /**
     * This edge's id in its cache group (`name`): edges joining one name with different ids are
     * the nodes of one group. Default: a random id kept in the data directory (file `node-id`).
     */
    nodeId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, dots, dashes and underscores, at most 63')
      .optional(),
    /** How often the edge reports its health to main (with `joinToken`), used with its probe. Default 5s; 0: never. */
    heartbeatInterval: durationSchema.prefault('5s'),
    /** The region main shows users for this cache when it registers itself (`joinToken`). */
    region: z.string().min(1).max(100).optional(),
    /** File holding the operator token for /api/v0/cache; the admin API is off without it. */
    adminTokenFile: z.string().min(1).optional(),
    /** Small blobs kept in memory for the hot path: total budget. 0 turns it off. Default 64MiB. */
    memoryCacheBytes: sizeSchema.prefault('64MiB'),
    /** Largest blob kept in memory. Default 1MiB. */
    memoryCacheMaxBlobBytes: sizeSchema.prefault('1MiB'),
    /**
     * Memory, shared by the downloads in flight, for bytes already on disk that their readers
     * still need (a herd, a slow client): they are sent from memory instead of read back. Each
     * download keeps its last 4MiB whatever this says. Default 128MiB; 0: just those.
     */
    downloadMemoryBytes: sizeSchema.prefault('128MiB'),
    upstreamTimeouts: z
      .object({
        /** TCP+TLS connect. Default 5s. */
        connect: durationSchema.prefault('5s'),
        /** Until response headers arrive. Default 30s. */
        headers: durationSchema.prefault('30s'),
        /** Longest pause between body bytes. Default 60s. */
        bodyIdle: durationSchema.prefault('60s'),
      })
      .strict()
      .prefault({}),
    /**
     * What sends hits from disk: `none`, the edge itself; `nginx`, nginx in front of the edge
     * (`outpost edge nginx-config` prints its configuration; see edge/front.ts), to which the
     * edge hands each verified hit with `X-Accel-Redirect`. Only with that nginx in front. Default none.
     */
    front: z.enum(FRONT_MODES).default('none'),
    tls: tlsSchema.prefault({}),
    log: logSchema.prefault({}),
    /** How long in-flight transfers may take to finish on SIGTERM. Default 30s. */
    shutdownGrace: durationSchema.prefault('30s'),
  })
  .strict()
  .refine((c) => c.lowWatermark < c.highWatermark, {
    message: 'lowWatermark must be below highWatermark',
    path: ['lowWatermark'],
  })
  .refine((c) => !(c.jwksFile && c.jwksUrl), { message: 'give jwksFile or jwksUrl, not both', path: ['jwksFile'] })
  .superRefine(requirePublicUrlOnEveryInterface('main redirects pulls to it and the edge registers it on main'))
  .transform(
    ({ blobTtl, shutdownGrace, upstreamTimeouts, issuer, jwksMinRefreshInterval, heartbeatInterval, ...rest }) => ({
      ...rest,
      heartbeatIntervalMs: heartbeatInterval,
      jwksMinRefreshMs: jwksMinRefreshInterval,
      issuer: issuer ?? rest.upstream,
      blobTtlMs: blobTtl,
      shutdownGraceMs: shutdownGrace,
      upstreamTimeoutsMs: upstreamTimeouts,
    }),
  );

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

export interface EdgeFlags {
  config?: string;
  name?: string;
  upstream?: string;
  publicUrl?: string;
  listen?: string;
  data?: string;
  maxBytes?: string;
  blobTtl?: string;
  issuer?: string;
  jwksUrl?: string;
  jwksFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  adminTokenFile?: string;
  joinToken?: string;
  nodeId?: string;
  region?: string;
  front?: string;
}

/** The command-line flag for each setting that has one (config errors name it). */
const EDGE_FLAG_NAMES: Record<string, string> = {
  name: '--name',
  upstream: '--upstream',
  publicUrl: '--public-url',
  listen: '--listen',
  dataDir: '--data',
  maxBytes: '--max-bytes',
  blobTtl: '--blob-ttl',
  issuer: '--issuer',
  jwksUrl: '--jwks-url',
  jwksFile: '--jwks-file',
  adminTokenFile: '--admin-token-file',
  joinToken: '--join-token',
  nodeId: '--node-id',
  region: '--region',
  front: '--front',
  'tls.certFile': '--tls-cert',
  'tls.keyFile': '--tls-key',
};

/** `flagNames` renames flags in messages for a command that spells them differently (`outpost dev`). */
export function loadEdgeConfig(
  flags: EdgeFlags,
  env: Record<string, string | undefined>,
  flagNames: Record<string, string> = {},
): Readonly<EdgeConfig> {
  return loadConfig(edgeConfigSchema, {
    ...(flags.config !== undefined && { file: flags.config }),
    envPrefix: 'OUTPOST_EDGE_',
    env,
    flagNames: { ...EDGE_FLAG_NAMES, ...flagNames },
    overrides: {
      name: flags.name,
      upstream: flags.upstream,
      publicUrl: flags.publicUrl,
      listen: flags.listen,
      dataDir: flags.data,
      maxBytes: flags.maxBytes,
      blobTtl: flags.blobTtl,
      issuer: flags.issuer,
      jwksUrl: flags.jwksUrl,
      jwksFile: flags.jwksFile,
      adminTokenFile: flags.adminTokenFile,
      joinToken: flags.joinToken,
      nodeId: flags.nodeId,
      region: flags.region,
      front: flags.front,
      'tls.certFile': flags.tlsCert,
      'tls.keyFile': flags.tlsKey,
    },
  });
}
