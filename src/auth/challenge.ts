/**
 * @module `WWW-Authenticate` and `Authorization` header values (RFC 6750, RFC 7617, and the
 * Docker token spec's challenge).
 */

export interface BearerChallenge {
  realm: string;
  service: string;
  scope?: string;
  /** `insufficient_scope` when a token was presented but does not cover the request. */
  error?: 'invalid_token' | 'insufficient_scope';
}

const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

export function formatBearerChallenge(challenge: BearerChallenge): string {
  const params = [`realm=${quote(challenge.realm)}`, `service=${quote(challenge.service)}`];
  if (challenge.scope) params.push(`scope=${quote(challenge.scope)}`);
  if (challenge.error) params.push(`error=${quote(challenge.error)}`);
  return `Bearer ${params.join(',')}`;
}

export type Credentials =
  /** `Authorization: Basic base64(user:password)`. */
  | { kind: 'basic'; username: string; password: string }
  /** `Authorization: Bearer <token>`. */
  | { kind: 'bearer'; token: string };

/**
 * Parses an `Authorization` header. Returns undefined when absent; `'malformed'` when present
 * but unusable (unknown scheme, bad base64, no colon), which callers answer with 401.
 */
export function parseAuthorization(header: string | undefined): Credentials | 'malformed' | undefined {
  if (header === undefined || header === '') return undefined;
  const space = header.indexOf(' ');
  if (space <= 0) return 'malformed';
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return /^[A-Za-z0-9._~+/-]+=*$/.test(value) ? { kind: 'bearer', token: value } : 'malformed';
  if (scheme !== 'basic' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return 'malformed';
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
