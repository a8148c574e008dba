/**
 * Debian's nginx as the load balancer in front of several replicas of main, for the services
 * suites: round robin, request and response bodies streamed (no buffering, no size limit, as
 * a registry needs), a request that could not be delivered to a dead replica passed to the next
 * one. Runs in the foreground as a child of the test, with every file in a temporary directory.
 * Without nginx the suite fails with the reason, never skips.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

export interface TestBalancer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Replaces the upstream list and reloads nginx without dropping connections. */
  setUpstreams(upstreams: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));

/** A free loopback port, for a server that must know its address before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function config(dir: string, port: number, upstreams: readonly string[]): string {
  const servers = upstreams.map((u) => `    server ${new URL(u).host} max_fails=1 fail_timeout=5s;`).join('\n');
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  client_max_body_size 0;
  upstream replicas {
${servers}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
    }
  }
}
`;
}

export interface RunningNginx {
  /** Everything nginx wrote to stderr so far. */
  stderr(): string;
  readonly exited: Promise<unknown>;
  isExited(): boolean;
  /** SIGTERM (nginx's fast shutdown), then waits for the master to exit. */
  stop(): Promise<void>;
}

/**
 * Runs nginx on `confPath` until `ready()` is true; fails with nginx's output when it exits at
 * start. It must stay in the foreground: the file says `daemon off;`, or `extraArgs` do
 * (`-g 'daemon off;'`).
 */
export async function runNginx(
  confPath: string,
  dir: string,
  ready: () => Promise<boolean>,
  extraArgs: readonly string[] = [],
): Promise<RunningNginx> {
  if (!NGINX) throw new Error('nginx not found: install it (apt-get install nginx-light) to run npm run test:services');
  const child: ChildProcess = spawn(NGINX, ['-c', confPath, '-p', dir, '-e', join(dir, 'error.log'), ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited = false;
  const exit = once(child, 'exit').then(() => (exited = true));
  await waitFor(async () => {
    if (exited) throw new Error(`nginx exited at start: ${stderr}`);
    return ready();
  }, 'nginx to answer');
  return {
    stderr: () => stderr,
    exited: exit,
    isExited: () => exited,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

export async function startBalancer(upstreams: readonly string[], port?: number): Promise<TestBalancer> {
  const listenPort = port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'outpost-nginx-'));
  await mkdir(join(dir, 'tmp'));
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, config(dir, listenPort, upstreams));
  const url = `http://127.0.0.1:${listenPort}`;
  let nginx: RunningNginx;
  try {
    nginx = await runNginx(confPath, dir, () =>
      fetch(`${url}/`).then(
        () => true,
        () => false,
      ),
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port: listenPort,
    async setUpstreams(next) {
      await writeFile(confPath, config(dir, listenPort, next));
      execFileSync(NGINX!, ['-c', confPath, '-p', dir, '-e', join(dir, 'error.log'), '-s', 'reload']);
    },
    async stop() {
      await nginx.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
