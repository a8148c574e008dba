/**
 * @module The container image's HEALTHCHECK (bin/healthcheck.ts): asks the service in this
 * container for `/health` on loopback, over HTTPS or plain HTTP, whichever it speaks.
 *
 * The image sets the listen addresses through the environment (OUTPOST_MAIN_LISTEN,
 * OUTPOST_EDGE_LISTEN), so the check reads them from there; OUTPOST_HEALTH_URL names the URL
 * outright when the service listens elsewhere (a `--listen` flag the check cannot see).
 * Certificates are not verified: the check talks to its own container, often by an address
 * the certificate does not name, and only wants to know whether the service answers.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isEveryInterface, listenSchema } from '../config/common.js';

/** The `/health` URLs to try, first to last; the first 200 means healthy. */
export function healthUrls(env: Record<string, string | undefined>): string[] {
  if (env.OUTPOST_HEALTH_URL) return [env.OUTPOST_HEALTH_URL];
  const urls: string[] = [];
  const addresses = [env.OUTPOST_MAIN_LISTEN, env.OUTPOST_EDGE_LISTEN];
  // The image's former setting: a port on loopback.
  if (env.OUTPOST_HEALTH_PORT) addresses.unshift(`127.0.0.1:${env.OUTPOST_HEALTH_PORT}`);
  for (const value of addresses) {
    const parsed = value === undefined ? undefined : listenSchema.safeParse(value);
    if (!parsed?.success) continue;
    const { host, port } = parsed.data;
    // Every interface includes loopback; a specific address is asked directly.
    const loopback = host === '::' ? '[::1]' : '127.0.0.1';
    const target = isEveryInterface(host) ? loopback : host.includes(':') ? `[${host}]` : host;
    for (const scheme of ['https', 'http']) urls.push(`${scheme}://${target}:${port}/health`);
  }
  return [...new Set(urls)];
}

/** True when `url` answers 200 within `timeoutMs`; any error or other status is false. */
export function probeHealth(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Tries each URL in turn; true on the first 200. */
export async function checkContainerHealth(
  env: Record<string, string | undefined>,
  timeoutMs = 2_000,
): Promise<boolean> {
  for (const url of healthUrls(env)) if (await probeHealth(url, timeoutMs)) return true;
  return false;
}
