import { describe, expect, it } from 'vitest';
import { formatBearerChallenge, parseAuthorization } from '../../../src/auth/challenge.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('formatBearerChallenge', () => {
  it('names realm and service (the /v2/ challenge)', () => {
    expect(formatBearerChallenge({ realm: 'https://main.example/auth/token', service: 'outpost' })).toBe(
      'Bearer realm="https://main.example/auth/token",service="outpost"',
    );
  });

  it('adds the scope a repository request needs, then the error', () => {
    expect(
      formatBearerChallenge({
        realm: 'http://r/auth/token',
        service: 'outpost',
        scope: 'repository:a/b:pull,push',
        error: 'insufficient_scope',
      }),
    ).toBe(
      'Bearer realm="http://r/auth/token",service="outpost",' +
        'scope="repository:a/b:pull,push",error="insufficient_scope"',
    );
  });

  it('escapes quotes and backslashes so a value cannot end its quoted string (RFC 9110 5.6.4)', () => {
    expect(formatBearerChallenge({ realm: 'http://r/"x\\', service: 'a"b' })).toBe(
      'Bearer realm="http://r/\\"x\\\\",service="a\\"b"',
    );
  });
});

describe('parseAuthorization', () => {
  it('reads nothing from an absent or empty header', () => {
    expect(parseAuthorization(undefined)).toBeUndefined();
    expect(parseAuthorization('')).toBeUndefined();
  });

  it('reads Basic credentials, the scheme in any case', () => {
    expect(parseAuthorization(`Basic ${b64('alice:secret pw')}`)).toEqual({
      kind: 'basic',
      username: 'alice',
      password: 'secret pw',
    });
    expect(parseAuthorization(`basic ${b64('alice:x')}`)).toEqual({ kind: 'basic', username: 'alice', password: 'x' });
    expect(parseAuthorization(`BASIC   ${b64('alice:x')}  `)).toEqual({
      kind: 'basic',
      username: 'alice',
      password: 'x',
    });
  });

  it('splits at the first colon: the password may contain colons (RFC 7617 2)', () => {
    expect(parseAuthorization(`Basic ${b64('alice:a:b:c')}`)).toEqual({
      kind: 'basic',
      username: 'alice',
      password: 'a:b:c',
    });
  });

  it('reads empty user names and passwords as given (the authenticator refuses them)', () => {
    expect(parseAuthorization(`Basic ${b64(':')}`)).toEqual({ kind: 'basic', username: '', password: '' });
  });

  it('reads UTF-8 credentials', () => {
    expect(parseAuthorization(`Basic ${b64('zoë:pässwörd')}`)).toEqual({
      kind: 'basic',
      username: 'zoë',
      password: 'pässwörd',
    });
  });

  it('reads Bearer tokens (token68 syntax)', () => {
    expect(parseAuthorization('Bearer eyJhbGciOi.eyJzdWIiOi.c2ln-_')).toEqual({
      kind: 'bearer',
      token: 'eyJhbGciOi.eyJzdWIiOi.c2ln-_',
    });
    expect(parseAuthorization('bearer abc==')).toEqual({ kind: 'bearer', token: 'abc==' });
  });

  it.each([
    ['a scheme alone', 'Basic'],
    ['a scheme and a space', 'Basic '],
    ['a leading space', ` Basic ${b64('a:b')}`],
    ['malformed base64', 'Basic !!!notbase64!!!'],
    ['base64 with a space inside', `Basic ${b64('alice:x').slice(0, 4)} ${b64('alice:x').slice(4)}`],
    ['base64 padding in the middle', 'Basic YQ==YQ=='],
    ['no colon', `Basic ${b64('alicewithoutpassword')}`],
    ['an unknown scheme', 'Digest username="alice"'],
    ['a token as scheme', 'Token abc'],
    ['a bearer token with spaces', 'Bearer abc def'],
    ['a bearer token with a quote', 'Bearer "abc"'],
    ['an empty bearer token', 'Bearer '],
    ['non-ASCII', 'Bearer tökén'],
  ])('answers malformed for %s', (_what, header) => {
    expect(parseAuthorization(header)).toBe('malformed');
  });
});
