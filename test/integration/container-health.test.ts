/**
 * The image's HEALTHCHECK command (`node dist/bin/healthcheck.js`) against real services on
 * loopback: healthy for main over HTTPS (a certificate it cannot verify) and over HTTP, for an
 * edge's port, unhealthy when nothing answers.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';

const HEALTHCHECK = fileURLToPath(new URL('../../dist/bin/healthcheck.js', import.meta.url));
const TLS_ENV = {
  OUTPOST_MAIN_TLS__CERT_FILE: fileURLToPath(new URL('../helpers/tls/test-cert.pem', import.meta.url)),
  OUTPOST_MAIN_TLS__KEY_FILE: fileURLToPath(new URL('../helpers/tls/test-key.pem', import.meta.url)),
};

/** Runs the health check as Docker does, with only the given environment; its exit code. */
async function healthcheck(env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [HEALTHCHECK], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'ignore',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let tlsMain: TestMain;
let plainMain: TestMain;
beforeAll(async () => {
  [tlsMain, plainMain] = await Promise.all([startTestMain({ env: TLS_ENV }), startTestMain()]);
});
afterAll(async () => {
  await Promise.all([tlsMain?.stop(), plainMain?.stop()]);
});

describe('the container health check', () => {
  it('exits 0 for main serving HTTPS with a certificate it cannot verify', async () => {
    expect(tlsMain.url).toMatch(/^https:/);
    expect(await healthcheck({ OUTPOST_MAIN_LISTEN: `0.0.0.0:${tlsMain.service.server.port}` })).toBe(0);
  });

  it('exits 0 for main serving plain HTTP', async () => {
    expect(await healthcheck({ OUTPOST_MAIN_LISTEN: `0.0.0.0:${plainMain.service.server.port}` })).toBe(0);
  });

  it("exits 0 in an edge's container, where main's port is closed and the edge's port answers", async () => {
    const env = {
      OUTPOST_MAIN_LISTEN: `0.0.0.0:${await closedPort()}`,
      OUTPOST_EDGE_LISTEN: `127.0.0.1:${tlsMain.service.server.port}`,
    };
    expect(await healthcheck(env)).toBe(0);
  });

  it('exits 1 when nothing answers, and for a URL that does not answer 200', async () => {
    expect(await healthcheck({ OUTPOST_MAIN_LISTEN: `0.0.0.0:${await closedPort()}` })).toBe(1);
    expect(await healthcheck({ OUTPOST_HEALTH_URL: `${plainMain.url}/no-such-page` })).toBe(1);
    expect(await healthcheck({ OUTPOST_HEALTH_URL: `${plainMain.url}/health` })).toBe(0);
  });
});
