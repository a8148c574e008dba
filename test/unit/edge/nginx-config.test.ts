/**
 * `outpost edge nginx-config` (edge/nginx-config.ts): the options taken from flags and the edge's
 * own settings, the refusals of values nginx would misread, and the parts of the printed
 * configuration front mode depends on. test/services/edge/nginx-front.test.ts runs the printed
 * configuration in real nginx.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nginxFrontConfig, nginxFrontOptions, type NginxFrontOptions } from '../../../edge/nginx-config.js';

function options(...args: Parameters<typeof nginxFrontOptions>): NginxFrontOptions {
  const result = nginxFrontOptions(...args);
  if ('errors' in result) throw new Error(result.errors.join('\n'));
  return result;
}

describe('nginxFrontOptions', () => {
  it("takes the edge's data directory and address from its settings, and plain HTTP on port 80", () => {
    const found = options({ user: 'outpost' }, { OUTPOST_EDGE_DATA_DIR: 'edge-data', OUTPOST_EDGE_LISTEN: ':5009' });
    expect(found).toEqual({
      dataDir: resolve('edge-data'),
      edge: { host: '0.0.0.0', port: 5009 },
      listen: { host: '0.0.0.0', port: 80 },
      serverName: '_',
      user: 'outpost',
      nginxDir: '/var/lib/outpost-nginx',
    });
  });

  it('listens on 443 with TLS, and flags win over the settings', () => {
    const found = options(
      { data: '/srv/edge', listen: '127.0.0.1:6000', tlsCert: '/etc/tls/c.pem', tlsKey: '/etc/tls/k.pem' },
      { OUTPOST_EDGE_DATA_DIR: '/elsewhere' },
    );
    expect(found).toMatchObject({
      dataDir: '/srv/edge',
      edge: { host: '127.0.0.1', port: 6000 },
      listen: { host: '0.0.0.0', port: 443 },
      tls: { certFile: '/etc/tls/c.pem', keyFile: '/etc/tls/k.pem' },
    });
  });

  it('lists every value nginx would misread, and a certificate without its key', () => {
    const result = nginxFrontOptions(
      {
        data: '/srv/edge data',
        nginxDir: '/var/$x',
        tlsCert: '/c;pem',
        listen: 'nowhere',
        frontListen: '1.2.3.4:99999',
        user: 'a b',
        serverName: 'x;y',
      },
      {},
    );
    expect('errors' in result && result.errors).toEqual([
      '--tls-cert and --tls-key go together',
      '--user: "a b" is not a user name',
      '--server-name: "x;y" is not a host name',
      '--nginx-dir: "/var/$x" has a character nginx would misread (space ; { } $ quote #)',
      '--data: "/srv/edge data" has a character nginx would misread (space ; { } $ quote #)',
      '--listen: expected HOST:PORT like 127.0.0.1:5001, got "nowhere"',
      '--front-listen: expected HOST:PORT like 127.0.0.1:5001, got "1.2.3.4:99999"',
    ]);
  });
});

describe('nginxFrontConfig', () => {
  const base = options({ data: '/srv/edge', listen: '0.0.0.0:5001', user: 'outpost', nginxDir: '/run/front' }, {});

  it("serves the store's blobs directory in an internal location, with sendfile and the edge's headers", () => {
    const text = nginxFrontConfig(base);
    const internal = /location \/_outpost_blobs\/ \{([^}]*)\}/.exec(text)?.[1] ?? '';
    expect(internal).toContain('internal;');
    expect(internal).toContain('alias /srv/edge/blobs/;');
    expect(internal).toContain('etag off;');
    expect(internal).toContain('add_header Docker-Content-Digest $upstream_http_docker_content_digest always;');
    expect(internal).toContain('add_header ETag $upstream_http_etag always;');
    expect(text).toContain('sendfile on;');
    expect(text).toContain('user outpost;');
  });

  it('asks the edge again, saying so, when a handed-off file is missing; and only nginx may say so', () => {
    const text = nginxFrontConfig(base);
    const internal = /location \/_outpost_blobs\/ \{([^}]*)\}/.exec(text)?.[1] ?? '';
    expect(internal).toContain('error_page 404 = @outpost_edge_again;');
    const again = /location @outpost_edge_again \{([^}]*)\}/.exec(text)?.[1] ?? '';
    // The original URI and query: after X-Accel-Redirect, nginx's own URI is the internal one.
    expect(again).toContain('proxy_pass http://outpost_edge$request_uri;');
    expect(again).toContain('proxy_set_header X-Outpost-Front-Missed 1;');
    const proxied = /location \/ \{([^}]*)\}/.exec(text)?.[1] ?? '';
    expect(proxied).toContain('proxy_set_header X-Outpost-Front-Missed "";');
  });

  it('proxies everything else to the edge on loopback, streamed, with the query kept and kept out of the log', () => {
    const text = nginxFrontConfig(base);
    expect(text).toContain('server 127.0.0.1:5001;');
    const proxied = /location \/ \{([^}]*)\}/.exec(text)?.[1] ?? '';
    // No URI after the upstream: nginx passes the request's URI and query as they came.
    expect(proxied).toContain('proxy_pass http://outpost_edge;');
    expect(text).toContain('proxy_buffering off;');
    expect(text).toContain('proxy_request_buffering off;');
    expect(text).toContain('client_max_body_size 0;');
    const logFormat = /log_format outpost [^;]*;/.exec(text)?.[0] ?? '';
    expect(logFormat).toContain('$outpost_path');
    expect(logFormat).not.toMatch(/\$(request|request_uri|args|query_string|arg_token)\b/);
  });

  it('terminates TLS when given a certificate, and listens in plain HTTP otherwise', () => {
    expect(nginxFrontConfig(base)).toContain('listen 0.0.0.0:80;');
    expect(nginxFrontConfig(base)).not.toContain('ssl_certificate');
    const tls = nginxFrontConfig({
      ...base,
      listen: { host: '::', port: 443 },
      tls: { certFile: '/c', keyFile: '/k' },
    });
    expect(tls).toContain('listen [::]:443 ssl;');
    expect(tls).toContain('ssl_certificate /c;');
    expect(tls).toContain('ssl_certificate_key /k;');
  });
});
