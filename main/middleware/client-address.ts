/**
 * @module Who the client is, by address, behind trusted reverse proxies: the peer of the TCP
 * connection, or, when that peer is a configured trusted proxy (`http.trustedProxies`), the
 * address its `X-Forwarded-For` names. Only then: from anyone else the header is a client's
 * own claim, and believing it would let an attacker pick the address the login throttle
 * counts. The result is what `clientAddress(c)` (src/http/node-bindings.ts) answers.
 */
import type { MiddlewareHandler } from 'hono';
import { isIP } from 'node:net';
import { z } from 'zod';
import { clientAddress, CLIENT_ADDRESS } from '../../src/http/node-bindings.js';
import { networkMatcher, parseCidr } from '../caches/content-caches.js';

/** Addresses or CIDR networks, as a JSON list or a comma-separated string (environment). */
export const trustedProxiesSchema = z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
  const list = (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter((s) => s !== '');
  for (const network of list) {
    try {
      parseCidr(network);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${network}" is not an address or a network such as 10.0.0.0/8` });
    }
  }
  return list;
});

/**
 * The client's address: walking `X-Forwarded-For` from the right (the hop nearest to main),
 * the first address that is not a trusted proxy. Each proxy appends the address it was
 * reached from, so entries left of an untrusted hop are that hop's claims and are ignored.
 * Shared by the middleware and main's redirect fast path, which must agree on it.
 */
export function clientAddressResolver(
  trustedProxies: readonly string[],
): (peer: string, forwardedFor: string | undefined) => string {
  const trusted = networkMatcher([...trustedProxies]);
  return (peer, forwardedFor) => {
    let address = peer;
    if (trustedProxies.length > 0 && trusted(address)) {
      const hops = (forwardedFor ?? '').split(',').map((s) => s.trim());
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i]!;
        if (isIP(hop) === 0) break;
        address = hop;
        if (!trusted(hop)) break;
      }
    }
    return address;
  };
}

/** Sets what `clientAddress(c)` answers for the rest of the request. */
export function resolveClientAddress(trustedProxies: readonly string[]): MiddlewareHandler {
  const resolve = clientAddressResolver(trustedProxies);
  return async function setClientAddress(c, next) {
    c.set(CLIENT_ADDRESS, resolve(clientAddress(c), c.req.header('x-forwarded-for')));
    await next();
  };
}
