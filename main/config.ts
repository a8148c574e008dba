/**
 * @module Main's configuration schema: every setting, its default and its unit.
 *
 * Sources, lowest to highest precedence: defaults here, the JSON file given by `--config`,
 * `OUTPOST_MAIN_*` environment variables (`__` between nested keys), command-line flags.
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
import { parseS3Location, type S3Location } from '../src/store/s3-location.js';
import { trustedProxiesSchema } from './middleware/client-address.js';

/**
 * Where blob bytes live when not in the data directory: a directory (a shared file system such as
 * NFS) or an S3 bucket (src/store/s3-location.ts; credentials come from the AWS SDK's default
 * chain, never from here).
 */
export type BlobsLocation = { kind: 'directory'; path: string } | { kind: 's3'; location: S3Location };

const S3_FORM = 's3://BUCKET[/PREFIX]?endpoint=URL&region=R';

/** A directory or an s3:// URL; throws with the reason when it is neither. */
export function parseBlobsLocation(value: string): BlobsLocation {
  if (value.startsWith('s3://')) return { kind: 's3', location: parseS3Location(value) };
  // Any other URL is refused rather than taken for a relative path.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new Error(`expected a directory or ${S3_FORM}, got another URL`);
  return { kind: 'directory', path: value };
}

const blobsSchema = z
  .string()
  .min(1)
  .transform((value, ctx): BlobsLocation => {
    try {
      return parseBlobsLocation(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/**
 * A PostgreSQL connection string. Errors never echo it: it usually carries a password.
 * Pool settings come from the URL's own parameters where `pg` reads them (sslmode and the like).
 */
const databaseUrlSchema = z.string().transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // Reported below without the value.
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.hostname) {
    ctx.addIssue({ code: 'custom', message: 'expected a postgres://USER:PASSWORD@HOST[:PORT]/DATABASE URL' });
    return z.NEVER;
  }
  return value;
});

const storageSchema = z
  .object({
    /** Allow DELETE of manifests, tags and blobs. Default true. */
    deleteEnabled: booleanSchema.prefault(true),
    /** Largest manifest accepted (the spec suggests 4 MiB). Default 4MiB. */
    maxManifestSize: sizeSchema.prefault('4MiB'),
    /** Upload sessions idle for longer are purged. Default 24h. */
    uploadMaxAge: durationSchema.prefault('24h'),
    /** How often abandoned uploads are looked for; 0 turns the sweep off. Default 1h. */
    uploadPurgeInterval: durationSchema.prefault('1h'),
    /** Unreferenced blobs linked more recently than this survive garbage collection. Default 1h. */
    gcGracePeriod: durationSchema.prefault('1h'),
  })
  .strict()
  .transform((s) => ({
    deleteEnabled: s.deleteEnabled,
    maxManifestBytes: s.maxManifestSize,
    uploadMaxAgeMs: s.uploadMaxAge,
    uploadPurgeIntervalMs: s.uploadPurgeInterval,
    gcGraceMs: s.gcGracePeriod,
  }));

const authSchema = z
  .object({
    /**
     * Require authentication (token auth, users, permissions). Turning it off makes every client
     * an admin: only for isolated test setups. Default true.
     */
    enabled: booleanSchema.prefault(true),
    /** The `service` named in challenges and the `aud` of registry tokens. Default outpost. */
    service: z.string().min(1).default('outpost'),
    /** Lifetime of registry bearer tokens. Default 5m. */
    tokenLifetime: durationSchema.prefault('5m'),
    /** Lifetime of refresh tokens handed to `offline_token` clients. Default 30d. */
    refreshTokenLifetime: durationSchema.prefault('30d'),
    /** Lifetime of a web session. Default 12h. */
    sessionLifetime: durationSchema.prefault('12h'),
    /**
     * How long a key from `keys rotate` is published in the JWKS before it signs, so edges learn
     * it first; the old key signs that much longer. Default 60s; 0 signs at once (edges may refuse).
     */
    keyPrePublication: durationSchema.prefault('60s'),
  })
  .strict()
  .transform((a) => ({
    enabled: a.enabled,
    service: a.service,
    tokenLifetimeMs: a.tokenLifetime,
    refreshTokenLifetimeMs: a.refreshTokenLifetime,
    sessionLifetimeMs: a.sessionLifetime,
    keyPrePublishMs: a.keyPrePublication,
  }));

const cachesSchema = z
  .object({
    /** How often main probes each content cache's /health. Default 10s. */
    probeInterval: durationSchema.prefault('10s'),
    /** A probe that takes longer counts as a failure. Default 3s. */
    probeTimeout: durationSchema.prefault('3s'),
    /** Lifetime of the signed URLs main redirects blob pulls to. Default 2m. */
    redirectTokenLifetime: durationSchema.prefault('2m'),
    /** How often main probes the cache nodes it is redirecting pulls to (down at one failure). Default 1s; 0: off. */
    activeProbeInterval: durationSchema.prefault('1s'),
    /** Requests per second for one blob above which it spreads over `hotBlobSpread` nodes. Default 0: off. */
    hotBlobRequestsPerSecond: z.coerce.number<string | number>().int().min(0).max(1_000_000).default(0),
    /** How many nodes of a group (its first choices) a hot blob spreads over. Default 2. */
    hotBlobSpread: z.coerce.number<string | number>().int().min(1).max(64).default(2),
    /** How often each replica writes the redirects it sent each cache node (the dashboard's). Default 1m. */
    redirectSampleInterval: durationSchema.prefault('1m'),
  })
  .strict()
  .transform((c) => ({
    probeIntervalMs: c.probeInterval,
    probeTimeoutMs: c.probeTimeout,
    redirectTokenLifetimeMs: c.redirectTokenLifetime,
    activeProbeIntervalMs: c.activeProbeInterval,
    hotBlobRequestsPerSecond: c.hotBlobRequestsPerSecond,
    hotBlobSpread: c.hotBlobSpread,
    redirectSampleIntervalMs: c.redirectSampleInterval,
  }));

export const mainConfigSchema = z
  .object({
    /** Address to listen on. Default 127.0.0.1:5000. */
    listen: listenSchema.prefault('127.0.0.1:5000'),
    /** The URL clients use to reach main (token realm, redirects). Default: derived from listen. */
    publicUrl: urlSchema.optional(),
    /** Where blobs, uploads, keys and the LMDB database live. Default ./data/main. */
    dataDir: z.string().min(1).default('./data/main'),
    /**
     * Keep the metadata (accounts, repositories, manifests, tokens, keys...) in this PostgreSQL
     * database instead of the embedded LMDB, so that several replicas can share it. Default: unset.
     */
    database: databaseUrlSchema.optional(),
    /**
     * A place of its own for blob bytes and upload sessions that several replicas share: a
     * directory (a shared file system, NFS) or `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`.
     * Leftovers of interrupted writes there are removed at start only once older than
     * `storage.uploadMaxAge`, since another replica may still be writing them. Default: none,
     * the blobs live in the data directory.
     */
    blobs: blobsSchema.optional(),
    /**
     * Answer blob GETs that main serves itself (no content cache applies) with a 307 to a
     * short-lived presigned URL of the S3 object, so the bytes do not pass through main
     * (distribution's `redirect`). Needs `blobs` on S3. Default false.
     */
    blobsRedirect: booleanSchema.prefault(false),
    /**
     * File holding the key-encryption key (32 random bytes, base64 or hex) that seals the signing
     * keys kept in PostgreSQL; every replica reads the same file. Required with `database`;
     * unused by the embedded backend, whose keys are files in the data directory. Default: unset.
     */
    secretKeyFile: z.string().min(1).optional(),
    /** TLS certificate and key; plain HTTP when unset. */
    tls: tlsSchema.prefault({}),
    log: logSchema.prefault({}),
    storage: storageSchema.prefault({}),
    auth: authSchema.prefault({}),
    caches: cachesSchema.prefault({}),
    /** Image scanning (main/scans/). */
    scans: z
      .object({
        /** Scans this process runs at once (each reads one layer at a time). Default 1; 0: this process runs none. */
        concurrency: z.coerce.number<string | number>().int().min(0).max(64).default(1),
      })
      .strict()
      .prefault({}),
    /** Proxies (addresses or CIDRs, comma-separated in env) whose X-Forwarded-For names the client; default none. */
    http: z
      .object({ trustedProxies: trustedProxiesSchema.prefault([]) })
      .strict()
      .prefault({}),
    /**
     * Background jobs (main/jobs/): how many run at once on each replica, 1-16 (default 2), and how
     * long ended jobs and their logs are kept (default 90d; 0 keeps them forever).
     */
    jobs: z
      .object({
        concurrency: z.coerce.number().int().min(1).max(16).prefault(2),
        retention: durationSchema.prefault('90d'),
      })
      .strict()
      .prefault({}),
    /** How long in-flight requests may take to finish on SIGTERM. Default 30s. */
    shutdownGrace: durationSchema.prefault('30s'),
  })
  .strict()
  .superRefine(requirePublicUrlOnEveryInterface('it is the token issuer and realm and the URL edges pull from'))
  .superRefine((config, ctx) => {
    if (config.blobsRedirect && config.blobs?.kind !== 's3') {
      ctx.addIssue({ code: 'custom', path: ['blobsRedirect'], message: `needs --blobs ${S3_FORM}` });
    }
    if (config.database !== undefined && config.secretKeyFile === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secretKeyFile'],
        message:
          'required with --database: the signing keys are kept in PostgreSQL sealed with this key-encryption ' +
          'key, never in clear; give a file holding 32 random bytes, base64 or hex, the same on every replica ' +
          '(create one with `openssl rand -base64 32 > FILE`, readable by main only)',
      });
    }
  })
  .transform(({ shutdownGrace, ...rest }) => ({ ...rest, shutdownGraceMs: shutdownGrace }));

export type MainConfig = z.infer<typeof mainConfigSchema>;

export interface MainFlags {
  config?: string;
  listen?: string;
  publicUrl?: string;
  data?: string;
  database?: string;
  blobs?: string;
  blobsRedirect?: boolean;
  secretKeyFile?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** The command-line flag for each setting that has one (config errors name it). */
const MAIN_FLAG_NAMES: Record<string, string> = {
  listen: '--listen',
  publicUrl: '--public-url',
  dataDir: '--data',
  database: '--database',
  blobs: '--blobs',
  blobsRedirect: '--blobs-redirect',
  secretKeyFile: '--secret-key-file',
  'tls.certFile': '--tls-cert',
  'tls.keyFile': '--tls-key',
};

/** `flagNames` renames flags in messages for a command that spells them differently (`outpost dev`). */
export function loadMainConfig(
  flags: MainFlags,
  env: Record<string, string | undefined>,
  flagNames: Record<string, string> = {},
): Readonly<MainConfig> {
  return loadConfig(mainConfigSchema, {
    ...(flags.config !== undefined && { file: flags.config }),
    envPrefix: 'OUTPOST_MAIN_',
    env,
    flagNames: { ...MAIN_FLAG_NAMES, ...flagNames },
    overrides: {
      listen: flags.listen,
      publicUrl: flags.publicUrl,
      dataDir: flags.data,
      database: flags.database,
      blobs: flags.blobs,
      blobsRedirect: flags.blobsRedirect,
      secretKeyFile: flags.secretKeyFile,
      'tls.certFile': flags.tlsCert,
      'tls.keyFile': flags.tlsKey,
    },
  });
}
