import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from '../../../main/accounts/passwords.js';

describe('hashPassword / verifyPassword', () => {
  it('stores scrypt parameters, a salt and a hash, never the password', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(hash).not.toContain('correct horse');
  });

  it('salts: the same password hashes differently twice', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('accepts the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('compares Unicode passwords in NFC form', async () => {
    const hash = await hashPassword('caf\u00e9 au lait');
    expect(await verifyPassword('cafe\u0301 au lait', hash)).toBe(true);
  });

  describe('a tampered stored hash', () => {
    it('refuses the password when a hash byte changed', async () => {
      const hash = await hashPassword('correct horse');
      const parts = hash.split('$');
      const bytes = Buffer.from(parts[5]!, 'base64');
      bytes[0]! ^= 1;
      parts[5] = bytes.toString('base64');
      expect(await verifyPassword('correct horse', parts.join('$'))).toBe(false);
    });

    it('refuses the password when the salt changed', async () => {
      const parts = (await hashPassword('correct horse')).split('$');
      parts[4] = Buffer.alloc(16, 7).toString('base64');
      expect(await verifyPassword('correct horse', parts.join('$'))).toBe(false);
    });

    it.each([
      ['an unknown scheme', (p: string[]) => ['bcrypt', ...p.slice(1)]],
      ['a missing field', (p: string[]) => p.slice(0, 5)],
      ['an empty hash', (p: string[]) => [...p.slice(0, 5), '']],
      ['a hash that decodes to no bytes', (p: string[]) => [...p.slice(0, 5), '====']],
      ['a hash that decodes to one byte', (p: string[]) => [...p.slice(0, 5), 'AA==']],
      ['an N that is not a power of two', (p: string[]) => ['scrypt', '3', ...p.slice(2)]],
      ['an N needing gigabytes of memory', (p: string[]) => ['scrypt', String(2 ** 30), ...p.slice(2)]],
      ['non-numeric parameters', (p: string[]) => ['scrypt', 'x', 'y', 'z', ...p.slice(4)]],
    ])('answers false (never throws, never accepts) for %s', async (_what, tamper) => {
      const parts = (await hashPassword('correct horse')).split('$');
      const tampered = tamper(parts).join('$');
      await expect(verifyPassword('correct horse', tampered)).resolves.toBe(false);
      await expect(verifyPassword('any other password', tampered)).resolves.toBe(false);
    });
  });
});

describe('passwordProblem', () => {
  it.each([
    ['', 'at least 8'],
    ['seven77', 'at least 8'],
    ['x'.repeat(1025), 'at most 1024'],
  ])('refuses %j', (password, problem) => {
    expect(passwordProblem(password)).toContain(problem);
  });

  it.each(['eight888', 'x'.repeat(1024), 'pass phrase with spaces'])('accepts %j', (password) => {
    expect(passwordProblem(password)).toBeUndefined();
  });
});
