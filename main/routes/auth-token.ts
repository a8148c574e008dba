/**
 * @module The token server: `GET /auth/token` (Docker token spec), `POST /auth/token` (its
 * OAuth2 form, used by docker, containerd and podman) and `GET /auth/jwks.json`.
 */
import { Hono, type Context } from 'hono';
import { parseAuthorization } from '../../src/auth/challenge.js';
import { parseScopes } from '../../src/auth/scope.js';
import type { KeyRing } from '../../src/auth/keys.js';
import { OciError } from '../../src/oci/errors.js';
import { clientAddress, requestBody } from '../../src/http/node-bindings.js';
import { BodyTooLargeError, readBoundedBody } from '../../src/http/body.js';
import type { Principal } from '../accounts/permissions.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { TokenService } from '../auth/token-service.js';

export interface TokenRoutesDeps {
  tokens: TokenService;
  authenticator: Authenticator;
  keys: KeyRing;
}

const oauthError = (c: Context, status: 400 | 401 | 413 | 429, error: string, description: string) =>
  c.json({ error, error_description: description }, status);

// A token request is a handful of short fields (grant, name, password, scopes, a refresh token);
// a client asking for scopes on many repositories stays far below this.
const MAX_TOKEN_FORM_BYTES = 16 * 1024;

/** The OAuth2 form (urlencoded, or multipart as Hono also accepted), read within the limit. */
async function readTokenForm(c: Context): Promise<FormData | undefined> {
  const bytes = await readBoundedBody(requestBody(c), c.req.raw.headers, MAX_TOKEN_FORM_BYTES);
  const headers = { 'content-type': c.req.header('content-type') ?? '' };
  return new Response(bytes, { headers }).formData().catch(() => undefined);
}

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
    let form: FormData | undefined;
    try {
      form = await readTokenForm(c);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return oauthError(c, 413, 'invalid_request', err.message);
      throw err;
    }
    const field = (name: string) => {
      const value = form?.get(name);
      return typeof value === 'string' ? value : undefined;
    };
    const scopes = parseScopes(field('scope') ?? '');
    c.header('Cache-Control', 'no-store');
    try {
      switch (field('grant_type')) {
        case 'password': {
          const principal = await authenticator.password(
            field('username') ?? '',
            field('password') ?? '',
            clientAddress(c),
          );
          return c.json(await tokens.issue(principal, scopes, { offline: field('access_type') === 'offline' }));
        }
        case 'refresh_token': {
          const refreshToken = field('refresh_token') ?? '';
          const user = await tokens.redeemRefreshToken(refreshToken);
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
      if (err instanceof OciError && err.code === 'UNAUTHORIZED')
        return oauthError(c, 401, 'invalid_grant', err.message);
      throw err;
    }
  });

  app.get('/auth/jwks.json', async (c) => {
    // The keys in memory still verify: a store that cannot be read just now (PostgreSQL
    // restarting, a key file being replaced) must not take the JWKS away from the edges.
    // The periodic reload (service.ts) logs the failure.
    await keys.reload().catch(() => undefined);
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(keys.jwks());
  });

  return app;
}
