/** RFC 4515 and RFC 4514 escaping of user-supplied names put into filters and DNs (main/directory/ldap-escape.ts). */
import { describe, expect, it } from 'vitest';
import {
  allUsersFilter,
  escapeDnValue,
  escapeFilterValue,
  userDnFor,
  userFilterFor,
} from '../../../main/directory/ldap-escape.js';

describe('escapeFilterValue (RFC 4515 section 3)', () => {
  it('escapes the five characters that are filter syntax, and nothing else', () => {
    expect(escapeFilterValue('a*b(c)d\\e\0f')).toBe('a\\2ab\\28c\\29d\\5ce\\00f');
    expect(escapeFilterValue('alice.smith-2_x')).toBe('alice.smith-2_x');
    expect(escapeFilterValue('Émile')).toBe('Émile');
  });

  it('turns an injection attempt into a literal value', () => {
    expect(userFilterFor('(uid={username})', '*)(uid=*')).toBe('(uid=\\2a\\29\\28uid=\\2a)');
    expect(userFilterFor('(&(objectClass=person)(|(uid={username})(mail={username})))', 'a*')).toBe(
      '(&(objectClass=person)(|(uid=a\\2a)(mail=a\\2a)))',
    );
  });

  it('matches every user with the template for listing', () => {
    expect(allUsersFilter('(&(objectClass=person)(uid={username}))')).toBe('(&(objectClass=person)(uid=*))');
  });
});

describe('escapeDnValue (RFC 4514 section 2.4)', () => {
  it('escapes the special characters, a leading # or space and a trailing space', () => {
    expect(escapeDnValue('a,b+c"d\\e<f>g;h=i')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
    expect(escapeDnValue('#x')).toBe('\\#x');
    expect(escapeDnValue(' x ')).toBe('\\ x\\ ');
    expect(userDnFor('uid={username},ou=people,dc=x', 'bob,ou=admins')).toBe('uid=bob\\,ou\\=admins,ou=people,dc=x');
  });
});
