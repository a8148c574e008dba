/** Checking and merging the directory settings (main/directory/ldap-settings.ts), and their view without the password. */
import { describe, expect, it } from 'vitest';
import { mergeLdapSettings, toLdapView } from '../../../main/directory/ldap-settings.js';
import { defaultLdapSettings } from '../../../main/metadata/ldap-settings.js';

const usable = {
  enabled: true,
  url: 'ldaps://dir.example:636',
  bindDn: 'cn=svc,dc=example',
  bindPassword: 'secret-1',
  userSearchBase: 'ou=people,dc=example',
};

describe('mergeLdapSettings', () => {
  it('merges a patch and keeps what it does not name (the bind password included)', () => {
    const first = mergeLdapSettings(defaultLdapSettings(), usable);
    const second = mergeLdapSettings(first, { syncIntervalMinutes: 5 });
    expect(second).toMatchObject({ ...usable, syncIntervalMinutes: 5, userFilter: '(uid={username})' });
  });

  it('refuses enabling an incomplete configuration, naming the field', () => {
    expect(() => mergeLdapSettings(defaultLdapSettings(), { enabled: true })).toThrow(/ldap\.url: is required/);
    expect(() => mergeLdapSettings(defaultLdapSettings(), { ...usable, bindPassword: '' })).toThrow(
      /ldap\.bindPassword/,
    );
    expect(() => mergeLdapSettings(defaultLdapSettings(), { ...usable, userDnTemplate: 'uid=x' })).toThrow(
      /ldap\.userDnTemplate: must contain \{username\}/,
    );
  });

  it('accepts a disabled, incomplete configuration (saved for later)', () => {
    expect(mergeLdapSettings(defaultLdapSettings(), { url: 'ldap://dir:389' }).enabled).toBe(false);
  });

  it('refuses values over their limits and unknown fields', () => {
    expect(() => mergeLdapSettings(defaultLdapSettings(), { bindPassword: 'x'.repeat(1025) })).toThrow(/bindPassword/);
    expect(() => mergeLdapSettings(defaultLdapSettings(), { tlsCaPem: 'x'.repeat(64 * 1024 + 1) })).toThrow(/tlsCaPem/);
    const links = Array.from({ length: 201 }, () => ({ org: 'a', team: 'b', groupDn: 'cn=g' }));
    expect(() => mergeLdapSettings(defaultLdapSettings(), { teamLinks: links })).toThrow(/teamLinks/);
    expect(() => mergeLdapSettings(defaultLdapSettings(), { password: 'x' })).toThrow(/ldap/);
    expect(() => mergeLdapSettings(defaultLdapSettings(), 'enabled')).toThrow(/ldap/);
  });
});

describe('toLdapView', () => {
  it('answers whether a bind password is set, never the password', () => {
    const view = toLdapView(mergeLdapSettings(defaultLdapSettings(), usable));
    expect(view).not.toHaveProperty('bindPassword');
    expect(view.bindPasswordSet).toBe(true);
    expect(JSON.stringify(view)).not.toContain('secret-1');
  });
});
