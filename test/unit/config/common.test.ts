import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  booleanSchema,
  durationSchema,
  listenSchema,
  logSchema,
  sizeSchema,
  tlsSchema,
  urlSchema,
} from '../../../src/config/common.js';

/** The single issue message a schema reports for `value`. */
function problem(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`accepted ${JSON.stringify(value)}`);
  expect(result.error.issues).toHaveLength(1);
  return result.error.issues[0]!.message;
}

describe('listenSchema', () => {
  it.each([
    ['HOST:PORT', '127.0.0.1:5000', { host: '127.0.0.1', port: 5000 }],
    [':PORT, meaning every interface', ':8080', { host: '0.0.0.0', port: 8080 }],
    ['a bracketed IPv6 host', '[::1]:443', { host: '::1', port: 443 }],
    ['a host name', 'registry.local:80', { host: 'registry.local', port: 80 }],
    ['port 0, meaning any free port', '127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
  ])('reads %s', (_, text, address) => {
    expect(listenSchema.parse(text)).toEqual(address);
  });

  it.each([
    ['no port', 'localhost'],
    ['a port above 65535', '127.0.0.1:65536'],
    ['an unbracketed IPv6 address', '::1:80'],
    ['a non-numeric port', 'localhost:http'],
  ])('rejects %s', (_, text) => {
    expect(problem(listenSchema, text)).toBe(`expected HOST:PORT like 127.0.0.1:5000, got "${text}"`);
  });
});

describe('sizeSchema and durationSchema', () => {
  it('turn text and numbers into bytes and milliseconds', () => {
    expect(sizeSchema.parse('4MiB')).toBe(4 * 2 ** 20);
    expect(sizeSchema.parse(1024)).toBe(1024);
    expect(durationSchema.parse('2m')).toBe(120_000);
    expect(durationSchema.parse(500)).toBe(500);
  });

  it('reject what they cannot read, quoting it', () => {
    expect(problem(sizeSchema, 'ten')).toBe('expected a size like 10GiB or 512MiB, got "ten"');
    expect(problem(durationSchema, '1w')).toBe('expected a duration like 30s, 2m or 24h, got "1w"');
  });
});

describe('booleanSchema', () => {
  it.each([
    [true, true],
    [false, false],
    ['true', true],
    ['false', false],
    ['1', true],
    ['0', false],
  ])('reads %j as %j', (value, expected) => {
    expect(booleanSchema.parse(value)).toBe(expected);
  });

  it.each(['yes', 'TRUE', '', 2])('rejects %j', (value) => {
    expect(booleanSchema.safeParse(value).success).toBe(false);
  });
});

describe('urlSchema', () => {
  it('accepts http and https URLs and drops trailing slashes', () => {
    expect(urlSchema.parse('https://registry.example.com/')).toBe('https://registry.example.com');
    expect(urlSchema.parse('http://127.0.0.1:5000/base//')).toBe('http://127.0.0.1:5000/base');
  });

  it.each(['ftp://files.example.com', 'registry.example.com', 'not a url'])('rejects %s', (text) => {
    expect(problem(urlSchema, text)).toBe(`expected an http(s) URL, got "${text}"`);
  });
});

describe('tlsSchema', () => {
  it('accepts neither or both files', () => {
    expect(tlsSchema.parse({})).toEqual({});
    expect(tlsSchema.parse({ certFile: 'c.pem', keyFile: 'k.pem' })).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
  });

  it('rejects one file without the other', () => {
    const together = 'certFile and keyFile must be given together (--tls-cert with --tls-key)';
    expect(problem(tlsSchema, { certFile: 'c.pem' })).toBe(together);
    expect(problem(tlsSchema, { keyFile: 'k.pem' })).toBe(together);
  });
});

describe('logSchema', () => {
  it('defaults the level to info and accepts the four levels only', () => {
    expect(logSchema.parse({})).toEqual({ level: 'info', accessSampleRate: 1 });
    expect(logSchema.parse({ level: 'debug' })).toMatchObject({ level: 'debug' });
    expect(logSchema.safeParse({ level: 'trace' }).success).toBe(false);
  });

  it('logs every request by default, takes a share from 0 to 1 (also as text), and refuses others', () => {
    expect(logSchema.parse({ accessSampleRate: '0.1' }).accessSampleRate).toBe(0.1);
    expect(logSchema.parse({ accessSampleRate: 0 }).accessSampleRate).toBe(0);
    for (const bad of [-0.1, 1.5, 'often']) expect(logSchema.safeParse({ accessSampleRate: bad }).success).toBe(false);
  });
});
