/**
 * @module nginx as the load balancer in front of replicas of main (the configuration of
 * test/helpers/nginx.ts): round robin, request and response bodies streamed (no buffering, no
 * size limit, as a registry needs), keep-alive to the replicas, on a port chosen beforehand so
 * that the replicas can be given it as their public URL.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.js';
import { NGINX, spawnServer, whichBinary, type ServerProcess } from './processes.js';

export interface BalancerOptions {
  dir: string;
  port: number;
  /** The replicas' own URLs. */
  upstreams: readonly string[];
  cleanup: Cleanup;
}

function config(dir: string, port: number, upstreams: readonly string[]): string {
  const temp = join(dir, 'temp');
  return [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    ...(process.getuid?.() === 0 ? ['user root root;'] : []),
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} error;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(temp, t)};`),
    '  client_max_body_size 0;',
    '  upstream replicas {',
    ...upstreams.map((u) => `    server ${new URL(u).host};`),
    '    keepalive 32;',
    '  }',
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    location / {',
    '      proxy_pass http://replicas;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '      proxy_set_header Host $http_host;',
    '      proxy_set_header X-Forwarded-For $remote_addr;',
    '      proxy_set_header X-Forwarded-Proto $scheme;',
    '      proxy_request_buffering off;',
    '      proxy_buffering off;',
    '      proxy_read_timeout 600s;',
    '      proxy_send_timeout 600s;',
    '    }',
    '  }',
    '}',
  ].join('\n');
}

export async function startBalancer(options: BalancerOptions): Promise<ServerProcess> {
  const binary = await whichBinary(NGINX.binary);
  if (!binary) throw new Error(`${NGINX.binary} is not installed (Debian package ${NGINX.debianPackage})`);
  await mkdir(join(options.dir, 'temp'), { recursive: true });
  const configPath = join(options.dir, 'nginx.conf');
  await writeFile(configPath, `${config(options.dir, options.port, options.upstreams)}\n`);
  const url = `http://127.0.0.1:${options.port}`;
  return spawnServer({
    name: 'nginx balancer',
    command: binary,
    args: ['-e', join(options.dir, 'error.log'), '-p', options.dir, '-c', configPath],
    cleanup: options.cleanup,
    ready: async () => {
      try {
        const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 200 || res.status === 401 ? url : undefined;
      } catch {
        return undefined;
      }
    },
  });
}
