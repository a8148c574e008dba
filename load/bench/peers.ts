/**
 * @module The peers scenarios measure outpost against, started as processes.ts starts outpost:
 * CNCF distribution (Debian's `docker-registry`, as an origin, in proxy mode, or on S3) and
 * nginx (sendfile, static files), each on 127.0.0.1, plain HTTP, with its data in a directory
 * the scenario owns, registered with the run's `Cleanup`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.js';
import { answersV2, DISTRIBUTION, freePort, NGINX, spawnServer, whichBinary, type ServerProcess } from './processes.js';

export interface NginxOptions {
  /** Holds nginx.conf, its pid file, error log and temp directories. */
  dir: string;
  /** Served as the document root: GET /<path> is the file <root>/<path>. */
  root: string;
  /** worker_processes. Default 1 (the edge is one process). */
  workers?: number;
  /** Answer every request with `307` to this URL (the floor for main's redirects) instead of files. */
  redirectTo?: string;
  /** Log every request to this file, as stock nginx does (combined format, unbuffered); default: no access log. */
  accessLog?: string;
  cleanup: Cleanup;
}

/**
 * nginx in the foreground (`daemon off`) with `sendfile on`, serving `root` as static files on
 * a free port of 127.0.0.1, access log off unless asked, keep-alive without a request limit. As root, the
 * workers run as root too so that they can read the run's private temp directory.
 */
/** The `location /` body: static files, or `return 307` (quoted: a URL may hold `;` or spaces). */
function redirect(url: string | undefined): string {
  if (url === undefined) return '';
  if (/["\\\s]/.test(url)) throw new Error(`nginx: cannot redirect to ${JSON.stringify(url)}`);
  return `return 307 "${url}"; `;
}

export async function startNginx(options: NginxOptions): Promise<ServerProcess> {
  const binary = await whichBinary(NGINX.binary);
  if (!binary) throw new Error(`${NGINX.binary} is not installed (Debian package ${NGINX.debianPackage})`);
  const port = await freePort();
  await mkdir(join(options.dir, 'temp'), { recursive: true });
  const temp = join(options.dir, 'temp');
  const conf = [
    'daemon off;',
    'master_process on;',
    `worker_processes ${options.workers ?? 1};`,
    ...(process.getuid?.() === 0 ? ['user root root;'] : []),
    `pid ${join(options.dir, 'nginx.pid')};`,
    `error_log ${join(options.dir, 'error.log')} error;`,
    'events { worker_connections 4096; }',
    'http {',
    options.accessLog === undefined ? '  access_log off;' : `  access_log ${options.accessLog};`,
    '  sendfile on;',
    '  tcp_nopush on;',
    '  keepalive_requests 1000000;',
    '  default_type application/octet-stream;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(temp, t)};`),
    `  server { listen 127.0.0.1:${port}; root ${options.root}; location / { ${redirect(options.redirectTo)}} }`,
    '}',
  ].join('\n');
  const configPath = join(options.dir, 'nginx.conf');
  await writeFile(configPath, `${conf}\n`);
  const url = `http://127.0.0.1:${port}`;
  return spawnServer({
    name: 'nginx',
    command: binary,
    // -e: the error log before the configuration is read (default /var/log/nginx/error.log).
    args: ['-e', join(options.dir, 'error.log'), '-p', options.dir, '-c', configPath],
    cleanup: options.cleanup,
    ready: async () => {
      try {
        const res = await fetch(`${url}/`, { redirect: 'manual', signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return url;
      } catch {
        return undefined;
      }
    },
  });
}

export interface DistributionOptions {
  /** Holds the YAML config file and, under storage/, the filesystem driver's root. */
  dir: string;
  cleanup: Cleanup;
  /** Proxy mode: a pull-through cache of the registry at this URL. */
  proxyRemoteUrl?: string;
  /** The s3 storage driver on this bucket instead of the filesystem (path-style endpoint). */
  s3?: DistributionS3;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Runs the server elsewhere, e.g. in a network namespace: the argv to spawn instead. */
  enter?: (command: string, args: readonly string[]) => [string, string[]];
}

export interface DistributionS3 {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * distribution's s3 driver on an S3-compatible endpoint (a `regionendpoint` makes it use
 * path-style addressing). Redirects to presigned URLs are off: blobs go through the registry,
 * as they go through outpost main, so both serve the same bytes the same way.
 */
function s3Storage(s3: DistributionS3) {
  return {
    s3: {
      accesskey: s3.accessKeyId,
      secretkey: s3.secretAccessKey,
      region: s3.region,
      regionendpoint: s3.endpoint,
      bucket: s3.bucket,
      secure: s3.endpoint.startsWith('https:'),
      v4auth: true,
      rootdirectory: '/registry',
    },
    redirect: { disable: true },
  };
}

/**
 * `docker-registry serve <dir>/config.yml` with filesystem storage under `<dir>/storage` (or S3), on a
 * free port of 127.0.0.1 (or of `host`). Logging is at error level and the access log is off, so the server
 * does not spend its time writing a line per request.
 */
export async function startDistribution(options: DistributionOptions): Promise<ServerProcess> {
  const binary = await whichBinary(DISTRIBUTION.binary);
  if (!binary)
    throw new Error(`${DISTRIBUTION.binary} is not installed (Debian package ${DISTRIBUTION.debianPackage})`);
  const port = await freePort();
  const host = options.host ?? '127.0.0.1';
  await mkdir(options.dir, { recursive: true });
  const configPath = join(options.dir, 'config.yml');
  // YAML is a superset of JSON: writing JSON avoids quoting rules for the path.
  const config = {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage: {
      ...(options.s3 ? s3Storage(options.s3) : { filesystem: { rootdirectory: join(options.dir, 'storage') } }),
      delete: { enabled: true },
      cache: { blobdescriptor: 'inmemory' },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `${host}:${port}`, secret: 'outpost-bench-not-a-secret' },
    ...(options.proxyRemoteUrl && { proxy: { remoteurl: options.proxyRemoteUrl } }),
  };
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const url = `http://${host}:${port}`;
  const [command, args] = options.enter?.(binary, ['serve', configPath]) ?? [binary, ['serve', configPath]];
  return spawnServer({
    name: options.proxyRemoteUrl ? 'distribution proxy' : 'distribution',
    command,
    args,
    // aws-sdk-go v1 panics at start when AWS_CA_BUNDLE is set and its HTTP transport is
    // distribution's own ("unsupported transport"); the endpoint here is plain HTTP anyway.
    ...(options.s3 && { env: { AWS_CA_BUNDLE: '' } }),
    cleanup: options.cleanup,
    ready: async () => ((await answersV2(url)) ? url : undefined),
  });
}
