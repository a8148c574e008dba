/**
 * @module The token server: `GET /auth/token` (Docker token spec), `POST /auth/token` (its
 * OAuth2 form, used by docker, containerd and podman) and `GET /auth/jwks.json`.
 */
import { Hono, type Context } from 'hono';
import { parseAuthorization } from '../../src/auth/challenge.js';
import { parseScopes } from '../../src/auth/scope.js';
import type { KeyRing } from '../../src/auth/keys.js';
import { OciError } from '../../src/oci/errors.js';
import { clientAddress } from '../../src/http/node-bindings.js';
import type { Principal } from '../accounts/permissions.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { TokenService } from '../auth/token-service.js';

export interface TokenRoutesDeps {
  tokens: TokenService;
  authenticator: Authenticator;
  keys: KeyRing;
}

const oauthError = (c: Context, status: 400 | 401 | 429, error: string, description: string) =>
  c.json({ error, error_description: description }, status);

export function tokenRoutes({ tokens, authenticator, keys }: TokenRoutesDeps): Hono {
  const app = new Hono();

  app.get('/auth/token', async (c) => {
    const credentials = parseAuthorization(c.req.header('authorization'));
    if (credentials === 'malformed' || credentials?.kind === 'bearer') {
      throw new OciError('UNAUTHORIZED', { message: 'send Basic credentials, or none for anonymous access' });
    }
    const principal: Principal = credentials
      ? await authenticator.password(credentials.username, credentials.password, clientAddress(c))
      : { kind: 'anonymous' };
    const scopes = parseScopes((c.req.queries('scope') ?? []).join(' '));
    const offline = c.req.query('offline_token') === 'true';
    c.header('Cache-Control', 'no-store');
    return c.json(await tokens.issue(principal, scopes, { offline }));
  });

  app.post('/auth/token', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : undefined);
    const scopes = parseScopes(field('scope') ?? '');
    c.header('Cache-Control', 'no-store');
    try {
      switch (field('grant_type')) {
        case 'password': {
          const principal = await authenticator.password(field('username') ?? '', field('password') ?? '', clientAddress(c));
          return c.json(await tokens.issue(principal, scopes, { offline: field('access_type') === 'offline' }));
        }
        case 'refresh_token': {
          const refreshToken = field('refresh_token') ?? '';
          const user = tokens.redeemRefreshToken(refreshToken);
          const principal = await authenticator.activeUser(user);
          return c.json(await tokens.issue(principal, scopes, { refreshToken }));
        }
        default:
          return oauthError(c, 400, 'unsupported_grant_type', 'grant_type must be password or refresh_token');
      }
    } catch (err) {
      if (err instanceof OciError && err.code === 'TOOMANYREQUESTS') {
        // Keep the throttle's Retry-After: the client's only hint of when to try again.
        for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
        return oauthError(c, 429, 'too_many_requests', err.message);
      }
      if (err instanceof OciError && err.code === 'UNAUTHORIZED') return oauthError(c, 401, 'invalid_grant', err.message);
      throw err;
    }
  });

  app.get('/auth/jwks.json', async (c) => {
    await keys.reload();
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(keys.jwks());
  });

  return app;
}
