/**
 * @module `outpost edge nginx-config`: prints a complete nginx.conf for front mode (edge/front.ts)
 * on the operator's paths: nginx terminates TLS, proxies everything to the edge (misses streamed,
 * the redirect token's query kept) and sends the hits the edge hands it from the store's blobs
 * directory with sendfile, in an `internal` location nobody can ask for directly.
 *
 * Debian's nginx serves it with `nginx -c FILE -e <nginx dir>/error.log`. Every value written into
 * the file is checked first: nginx expands `$` in paths and ends a value at `;`, so a path with
 * such characters is refused rather than quoted.
 */
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { listenSchema, type ListenAddress } from '../src/config/common.js';
import { frontBlobsDir } from '../src/store/fs-front-paths.js';
import { FRONT_BLOBS_LOCATION, FRONT_MISSED_HEADER } from './front.js';

export interface NginxFrontOptions {
  /** The edge's data directory, absolute. */
  dataDir: string;
  /** Where the edge listens (plain HTTP). */
  edge: ListenAddress;
  /** Where nginx listens. */
  listen: ListenAddress;
  tls?: { certFile: string; keyFile: string };
  /** nginx's server_name; `_` matches any. */
  serverName: string;
  /** The user nginx's workers run as: the edge's, since the store is its owner's only (0700). */
  user: string;
  /** nginx's pid file, logs and temporary files, absolute. */
  nginxDir: string;
}

export const NGINX_CONFIG_USAGE = `
nginx-config: outpost edge nginx-config [options] > nginx.conf   nginx in front of this edge (front mode)
  --data DIR               the edge's data directory (default: OUTPOST_EDGE_DATA_DIR, else ./data/edge)
  --listen HOST:PORT       where the edge listens (default: OUTPOST_EDGE_LISTEN, else 127.0.0.1:5001)
  --front-listen HOST:PORT where nginx listens (default 0.0.0.0:443 with TLS, else 0.0.0.0:80)
  --tls-cert FILE --tls-key FILE   nginx's certificate and key: nginx terminates TLS
  --server-name NAME       nginx's server_name (default _, any)
  --user USER              user of nginx's workers: the edge's (default: the current user)
  --nginx-dir DIR          nginx's pid file, logs and temporary files (default /var/lib/outpost-nginx)
  Then run the edge with --front nginx, and --public-url set to nginx's URL.`;

export interface NginxConfigFlags {
  data?: string | undefined;
  listen?: string | undefined;
  frontListen?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  serverName?: string | undefined;
  user?: string | undefined;
  nginxDir?: string | undefined;
}

// nginx ends a value at whitespace or `;`, opens blocks at `{`, expands `$`, and quotes with ' and ".
const UNSAFE_IN_NGINX = /[\s;{}$'"\\#]/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/i;
const SERVER_NAME = /^(?:_|[a-z0-9*](?:[a-z0-9.*-]{0,252}))$/i;

/**
 * The options from the command's flags, with defaults from the edge's own settings (`env`),
 * or every problem found, one per line.
 */
export function nginxFrontOptions(
  flags: NginxConfigFlags,
  env: Record<string, string | undefined>,
): NginxFrontOptions | { errors: string[] } {
  const errors: string[] = [];
  const path = (flag: string, value: string): string => {
    const absolute = resolve(value);
    if (UNSAFE_IN_NGINX.test(absolute))
      errors.push(`${flag}: ${JSON.stringify(value)} has a character nginx would misread (space ; { } $ quote #)`);
    return absolute;
  };
  const address = (flag: string, value: string): ListenAddress => {
    const parsed = listenSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    errors.push(`${flag}: expected HOST:PORT like 127.0.0.1:5001, got ${JSON.stringify(value)}`);
    return { host: '127.0.0.1', port: 0 };
  };
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    errors.push('--tls-cert and --tls-key go together');
  const tls =
    flags.tlsCert !== undefined && flags.tlsKey !== undefined
      ? { certFile: path('--tls-cert', flags.tlsCert), keyFile: path('--tls-key', flags.tlsKey) }
      : undefined;
  const user = flags.user ?? userInfo().username;
  if (!USER_NAME.test(user)) errors.push(`--user: ${JSON.stringify(user)} is not a user name`);
  const serverName = flags.serverName ?? '_';
  if (!SERVER_NAME.test(serverName)) errors.push(`--server-name: ${JSON.stringify(serverName)} is not a host name`);
  const nginxDir = path('--nginx-dir', flags.nginxDir ?? '/var/lib/outpost-nginx');
  const options: NginxFrontOptions = {
    dataDir: path('--data', flags.data ?? env.OUTPOST_EDGE_DATA_DIR ?? './data/edge'),
    edge: address('--listen', flags.listen ?? env.OUTPOST_EDGE_LISTEN ?? '127.0.0.1:5001'),
    listen: address('--front-listen', flags.frontListen ?? (tls ? '0.0.0.0:443' : '0.0.0.0:80')),
    ...(tls && { tls }),
    serverName,
    user,
    nginxDir,
  };
  return errors.length > 0 ? { errors } : options;
}

const hostPort = ({ host, port }: ListenAddress): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** An edge listening on every interface is reached on loopback. */
function edgeAddress(edge: ListenAddress): string {
  if (edge.host === '0.0.0.0' || edge.host === '') return hostPort({ host: '127.0.0.1', port: edge.port });
  if (edge.host === '::') return hostPort({ host: '::1', port: edge.port });
  return hostPort(edge);
}

/**
 * The headers nginx sets on a request to the edge (a location that sets any inherits none).
 * `missed` is FRONT_MISSED_HEADER's value: `""` (not sent) strips one a client sent.
 */
function proxyHeaders(missed: string): string {
  return [
    'proxy_set_header Connection "";',
    'proxy_set_header Host $host;',
    'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    `proxy_set_header ${FRONT_MISSED_HEADER} ${missed};`,
  ]
    .map((line) => `      ${line}`)
    .join('\n');
}

/** The nginx.conf for `options`. */
export function nginxFrontConfig(options: NginxFrontOptions): string {
  const { nginxDir, tls } = options;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
    (kind) => `  ${kind}_temp_path ${nginxDir}/${kind}_temp;`,
  );
  const listen = tls
    ? [
        `    listen ${hostPort(options.listen)} ssl;`,
        `    ssl_certificate ${tls.certFile};`,
        `    ssl_certificate_key ${tls.keyFile};`,
        '    ssl_protocols TLSv1.2 TLSv1.3;',
      ]
    : [
        `    listen ${hostPort(options.listen)};`,
        '    # Plain HTTP: give --tls-cert and --tls-key to have nginx terminate TLS.',
      ];
  return `# nginx in front of an outpost edge (front mode), printed by \`outpost edge nginx-config\`.
# The edge: data directory ${options.dataDir}, listening on ${edgeAddress(options.edge)};
# run it with --front nginx (OUTPOST_EDGE_FRONT=nginx) and --public-url set to this server's URL.
# Run nginx with: mkdir -p ${nginxDir} && nginx -c <this file> -e ${nginxDir}/error.log
#
# The workers read the edge's store, which only its owner may read (0700): they run as that user.
user ${options.user};
worker_processes auto;
pid ${nginxDir}/nginx.pid;
error_log ${nginxDir}/error.log warn;
events {
  worker_connections 4096;
}

http {
  # Redirect tokens travel in the query and are secrets: the access log names the path without
  # it. The last field is the location that answered: ${FRONT_BLOBS_LOCATION}... when nginx sent the file.
  map $request_uri $outpost_path {
    ~^(?<path>[^?]*) $path;
  }
  log_format outpost '$remote_addr [$time_local] "$request_method $outpost_path" $status '
                     '$body_bytes_sent $request_time "$uri"';
  access_log ${nginxDir}/access.log outpost;
${temp.join('\n')}
  sendfile on;
  tcp_nopush on;
  server_tokens off;
  keepalive_requests 10000;

  upstream outpost_edge {
    server ${edgeAddress(options.edge)};
    keepalive 32;
  }

  server {
${listen.join('\n')}
    server_name ${options.serverName};
    # The edge limits every body itself; nginx passes them on as they come.
    client_max_body_size 0;
    proxy_http_version 1.1;
    # A miss reaches the client as it arrives from upstream, whatever its size.
    proxy_buffering off;
    proxy_request_buffering off;
    proxy_read_timeout 300s;
    proxy_send_timeout 300s;

    # Everything goes to the edge, the URI and its query (the redirect token) unchanged.
    location / {
      proxy_pass http://outpost_edge;
${proxyHeaders('""')}
    }

    # Hits the edge authorized (X-Accel-Redirect), sent from the store with sendfile. internal:
    # a request for this location from outside is answered 404.
    location ${FRONT_BLOBS_LOCATION} {
      internal;
      alias ${frontBlobsDir(options.dataDir)}/;
      default_type application/octet-stream;
      # The blob's ETag is the edge's (its digest), not one made from the file's time and size.
      etag off;
      # Single ranges, as the edge answers them; several get the whole blob (200).
      max_ranges 1;
      add_header Docker-Content-Digest $upstream_http_docker_content_digest always;
      add_header ETag $upstream_http_etag always;
      add_header Docker-Distribution-API-Version $upstream_http_docker_distribution_api_version always;
      # The file went between the edge's answer and now (evicted): the edge is asked again.
      error_page 404 = @outpost_edge_again;
      # Expected, and nginx's line for it would carry the request, redirect token and all.
      log_not_found off;
    }

    # The original request once more, saying the file was missing: the edge then sends the blob
    # itself (or fetches it again, when it is no longer cached) instead of handing it off.
    location @outpost_edge_again {
      proxy_pass http://outpost_edge$request_uri;
${proxyHeaders('1')}
    }
  }
}
`;
}
