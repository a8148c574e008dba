import { describe, expect, it } from 'vitest';
import { formatScope, grants, mergeEntries, parseScopes, type AccessEntry } from '../../../src/auth/scope.js';
import { toRegistryClaims } from '../../../src/auth/registry-token.js';

describe('parseScopes', () => {
  it.each([
    ['repository:library/alpine:pull', [{ type: 'repository', name: 'library/alpine', actions: ['pull'] }]],
    ['repository:a:pull,push', [{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]],
    ['repository:a/b/c:delete', [{ type: 'repository', name: 'a/b/c', actions: ['delete'] }]],
    ['repository:a:*', [{ type: 'repository', name: 'a', actions: ['*'] }]],
    ['registry:catalog:*', [{ type: 'registry', name: 'catalog', actions: ['*'] }]],
    // Docker's resource class, e.g. for plugins, is ignored.
    ['repository(plugin):a/b:pull', [{ type: 'repository', name: 'a/b', actions: ['pull'] }]],
  ])('reads %j', (value, expected) => {
    expect(parseScopes(value)).toEqual(expected);
  });

  it('reads several space-separated scopes and merges those naming one repository', () => {
    expect(parseScopes('repository:a:pull  repository:b:push repository:a:push,pull')).toEqual([
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'b', actions: ['push'] },
    ]);
  });

  it('keeps only the known actions', () => {
    expect(parseScopes('repository:a:pull,admin,push,,PULL')).toEqual([
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
    ]);
  });

  it.each([
    ['path traversal', 'repository:../etc:pull'],
    ['traversal inside a name', 'repository:a/../../b:pull'],
    ['an absolute path', 'repository:/etc/passwd:pull'],
    ['a colon smuggled into the name', 'repository:a:pull,push:extra'],
    ['a host and port in the name', 'repository:localhost:5000/a:pull'],
    ['uppercase letters', 'repository:Library/Alpine:pull'],
    ['an empty name', 'repository::pull'],
    ['no actions', 'repository:a:'],
    ['only unknown actions', 'repository:a:admin'],
    ['no action part', 'repository:a'],
    ['an unknown type', 'namespace:a:pull'],
    ['a registry resource other than the catalog', 'registry:settings:*'],
    ['a name too long', `repository:${'a'.repeat(256)}:pull`],
    ['a NUL byte', 'repository:a\u0000b:pull'],
    ['a trailing slash', 'repository:a/:pull'],
    ['no type', ':a:pull'],
  ])('drops a scope with %s', (_what, value) => {
    expect(parseScopes(value)).toEqual([]);
  });

  it('keeps the valid scopes beside an invalid one', () => {
    expect(parseScopes('repository:../x:pull repository:ok/repo:pull')).toEqual([
      { type: 'repository', name: 'ok/repo', actions: ['pull'] },
    ]);
  });

  it('reads nothing from an empty or blank value', () => {
    expect(parseScopes('')).toEqual([]);
    expect(parseScopes('   ')).toEqual([]);
  });
});

describe('formatScope', () => {
  it('writes type:name:actions', () => {
    expect(formatScope({ type: 'repository', name: 'a/b', actions: ['pull', 'push'] })).toBe(
      'repository:a/b:pull,push',
    );
    expect(formatScope({ type: 'registry', name: 'catalog', actions: ['*'] })).toBe('registry:catalog:*');
  });

  it('round-trips through parseScopes', () => {
    const entries: AccessEntry[] = [
      { type: 'repository', name: 'org/team/app', actions: ['pull', 'push', 'delete'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ];
    expect(parseScopes(entries.map(formatScope).join(' '))).toEqual(entries);
  });
});

describe('mergeEntries', () => {
  it('joins the actions of entries for the same resource, without duplicates', () => {
    expect(
      mergeEntries([
        { type: 'repository', name: 'a', actions: ['pull', 'pull'] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
        { type: 'repository', name: 'a', actions: ['push', 'pull'] },
      ]),
    ).toEqual([
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('does not change the entries it was given', () => {
    const first: AccessEntry = { type: 'repository', name: 'a', actions: ['pull'] };
    mergeEntries([first, { type: 'repository', name: 'a', actions: ['push'] }]);
    expect(first.actions).toEqual(['pull']);
  });
});

describe('grants (what a token covers)', () => {
  const access: AccessEntry[] = [
    { type: 'repository', name: 'a', actions: ['pull', 'push'] },
    { type: 'repository', name: 'b', actions: ['*'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ];

  it.each([
    ['repository', 'a', ['pull'], true],
    ['repository', 'a', ['pull', 'push'], true],
    ['repository', 'a', ['delete'], false],
    ['repository', 'a', ['pull', 'delete'], false],
    ['repository', 'b', ['delete'], true],
    ['repository', 'c', ['pull'], false],
    ['repository', 'catalog', ['pull'], false],
    ['registry', 'catalog', ['*'], true],
    ['registry', 'a', ['pull'], false],
  ] as const)('%s %s %j -> %s', (type, name, needed, expected) => {
    expect(grants(access, type, name, needed)).toBe(expected);
  });

  it('matches names exactly (no prefix matching)', () => {
    expect(grants([{ type: 'repository', name: 'a', actions: ['pull'] }], 'repository', 'a/b', ['pull'])).toBe(false);
    expect(grants([{ type: 'repository', name: 'a/b', actions: ['pull'] }], 'repository', 'a', ['pull'])).toBe(false);
  });
});

describe('toRegistryClaims (the access claim of a verified token)', () => {
  it('keeps well-formed entries', () => {
    const access = [{ type: 'repository', name: 'a/b', actions: ['pull'] }];
    expect(toRegistryClaims({ sub: 'alice', access })).toEqual({ subject: 'alice', access });
  });

  it('drops entries with injected names, unknown actions or the wrong shape', () => {
    const access = [
      { type: 'repository', name: '../etc', actions: ['pull'] },
      { type: 'repository', name: 'a:pull,push:x', actions: ['pull'] },
      { type: 'repository', name: 'a', actions: ['own'] },
      { type: 'repository', name: 'Upper', actions: ['pull'] },
      { type: 'repository', name: 7, actions: ['pull'] },
      'repository:a:pull',
      null,
      { type: 'repository', name: 'fine', actions: ['push'] },
    ];
    expect(toRegistryClaims({ sub: 'alice', access }).access).toEqual([
      { type: 'repository', name: 'fine', actions: ['push'] },
    ]);
  });

  it('refuses a payload without an access claim or subject', () => {
    expect(() => toRegistryClaims({ sub: 'alice' })).toThrow(expect.objectContaining({ code: 'OUTPOST_TOKEN_CLAIMS' }));
    expect(() => toRegistryClaims({ access: [] })).toThrow(expect.objectContaining({ code: 'OUTPOST_TOKEN_CLAIMS' }));
    expect(() => toRegistryClaims({ sub: 'alice', access: 'repository:a:pull' })).toThrow(
      expect.objectContaining({ code: 'OUTPOST_TOKEN_CLAIMS' }),
    );
  });
});
