import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl, REDACTED, TRUNCATED, type LoggerOptions } from '../../../src/log/logger.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');

/** A logger whose lines are parsed and kept, with a fixed clock. */
function capture(options: LoggerOptions = {}) {
  const raw: string[] = [];
  const logger = createLogger({ now: () => NOW, write: (line) => raw.push(line), ...options });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, raw, lines };
}

describe('createLogger', () => {
  it('writes one JSON line per call with time, level, message and fields', () => {
    const { logger, raw, lines } = capture();
    logger.info('blob served', { digest: 'sha256:abc', bytes: 12 });
    expect(raw).toHaveLength(1);
    expect(raw[0]!.endsWith('\n')).toBe(true);
    expect(raw[0]!.slice(0, -1)).not.toContain('\n');
    expect(lines()).toEqual([
      { time: '2024-05-01T12:00:00.000Z', level: 'info', msg: 'blob served', digest: 'sha256:abc', bytes: 12 },
    ]);
  });

  it("hands each line to its writer with the line's level (the edge flushes its batch on an error)", () => {
    const seen: string[] = [];
    const logger = createLogger({ now: () => NOW, write: (_line, level) => seen.push(level) });
    logger.info('i');
    logger.error('e');
    logger.child({ part: 'x' }).warn('w');
    expect(seen).toEqual(['info', 'error', 'warn']);
  });

  describe('level filtering', () => {
    const writeAll = (level?: LoggerOptions['level']) => {
      const { logger, lines } = capture(level ? { level } : {});
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      return lines().map((l) => l.level);
    };

    it('drops debug lines by default (level info)', () => {
      expect(writeAll()).toEqual(['info', 'warn', 'error']);
    });

    it('writes every level at debug', () => {
      expect(writeAll('debug')).toEqual(['debug', 'info', 'warn', 'error']);
    });

    it('writes only warn and error at warn', () => {
      expect(writeAll('warn')).toEqual(['warn', 'error']);
    });

    it('writes only error at error', () => {
      expect(writeAll('error')).toEqual(['error']);
    });

    it("applies the parent's level to a child", () => {
      const { logger, lines } = capture({ level: 'warn' });
      const child = logger.child({ component: 'gc' });
      child.info('dropped');
      child.warn('kept');
      expect(lines()).toEqual([expect.objectContaining({ msg: 'kept', component: 'gc' })]);
    });
  });

  it('writes each line with the clock at that moment, also within the same second', () => {
    let ms = Date.parse('2024-05-01T12:00:00.000Z');
    const raw: string[] = [];
    const logger = createLogger({ now: () => new Date(ms), write: (line) => raw.push(line) });
    logger.info('a');
    logger.info('b');
    ms += 7;
    logger.info('c');
    const times = raw.map((line) => (JSON.parse(line) as { time: string }).time);
    expect(times).toEqual(['2024-05-01T12:00:00.000Z', '2024-05-01T12:00:00.000Z', '2024-05-01T12:00:00.007Z']);
  });

  it('writes the bindings first, then the new fields of the call, in order', () => {
    const { logger, raw } = capture();
    logger.child({ service: 'edge', cache: 'c1' }).info('m', { status: 200, service: 'x', bytes: 1 });
    expect(Object.keys(JSON.parse(raw[0]!) as object)).toEqual([
      'time',
      'level',
      'msg',
      'service',
      'cache',
      'status',
      'bytes',
    ]);
  });

  describe('child', () => {
    it('adds its bindings to every line, and call fields win over bindings', () => {
      const { logger, lines } = capture();
      const child = logger.child({ service: 'main', requestId: 'r1' }).child({ route: '/v2/' });
      child.info('x', { requestId: 'r2' });
      expect(lines()[0]).toMatchObject({ service: 'main', route: '/v2/', requestId: 'r2' });
    });

    it('does not add its bindings to the parent', () => {
      const { logger, lines } = capture();
      logger.child({ service: 'main' });
      logger.info('x');
      expect(lines()[0]).not.toHaveProperty('service');
    });
  });

  describe('redaction', () => {
    it.each([
      'password',
      'Password',
      'passwd',
      'token',
      'accessToken',
      'refresh_token',
      'authorization',
      'Authorization',
      'cookie',
      'set-cookie',
      'secret',
      'clientSecret',
      'credentials',
      'privateKey',
    ])('replaces the value of a field named %s', (name) => {
      const { logger, raw, lines } = capture();
      logger.info('x', { [name]: 'hunter2', user: 'alice' });
      expect(lines()[0]).toMatchObject({ [name]: REDACTED, user: 'alice' });
      expect(raw.join('')).not.toContain('hunter2');
    });

    it('replaces whole secret values, objects included, not only strings', () => {
      const { logger, lines } = capture();
      logger.info('x', { credentials: { user: 'alice', pass: 'hunter2' }, token: 12345 });
      expect(lines()[0]).toMatchObject({ credentials: REDACTED, token: REDACTED });
    });

    it('redacts secret fields inside nested objects and arrays', () => {
      const { logger, raw, lines } = capture();
      logger.info('request', {
        req: { headers: { authorization: 'Bearer abc.def', accept: '*/*' } },
        users: [{ name: 'a', password: 'p1' }],
      });
      expect(lines()[0]).toMatchObject({
        req: { headers: { authorization: REDACTED, accept: '*/*' } },
        users: [{ name: 'a', password: REDACTED }],
      });
      expect(raw.join('')).not.toMatch(/abc\.def|p1/);
    });

    it('redacts secret fields nested deeper than it walks', () => {
      const { logger, raw, lines } = capture();
      logger.info('deep', { a: { b: { c: { d: { e: { f: { password: 'hunter2' } } } } } } });
      expect(raw.join('')).not.toContain('hunter2');
      expect(lines()[0]).toMatchObject({ a: { b: { c: { d: { e: TRUNCATED } } } } });
    });

    it('writes an object that refers to itself instead of throwing', () => {
      const { logger, raw } = capture();
      const loop: Record<string, unknown> = { name: 'loop' };
      loop.self = loop;
      expect(() => logger.info('cycle', { loop })).not.toThrow();
      expect(raw).toHaveLength(1);
      expect(raw[0]).toContain(`"self":"${TRUNCATED}"`);
    });

    it('redacts the bindings of a child', () => {
      const { logger, raw, lines } = capture();
      logger.child({ token: 'hunter2' }).info('x');
      expect(lines()[0]).toMatchObject({ token: REDACTED });
      expect(raw.join('')).not.toContain('hunter2');
    });

    it('redacts secret field names past the bound of names it remembers', () => {
      const { logger, raw } = capture();
      for (let i = 0; i < 1500; i++) logger.info('x', { [`field${i}`]: 'plain', [`token${i}`]: `hunter${i}` });
      expect(raw.join('')).not.toMatch(/hunter/);
      expect(raw.at(-1)).toContain('"field1499":"plain"');
    });

    it('cuts token= query parameters out of string values and of the message', () => {
      const { logger, raw, lines } = capture();
      logger.info('GET /v2/x/blobs/y?token=hunter2', { url: 'https://e.example/b?n=1&token=hunter2&x=2' });
      expect(lines()[0]).toMatchObject({
        msg: `GET /v2/x/blobs/y?token=${REDACTED}`,
        url: `https://e.example/b?n=1&token=${REDACTED}&x=2`,
      });
      expect(raw.join('')).not.toContain('hunter2');
    });

    it('writes an Error as name, redacted message and code, without its stack', () => {
      const { logger, lines } = capture();
      const err = Object.assign(new Error('fetch https://u.example/?token=hunter2 failed'), { code: 'ECONNREFUSED' });
      logger.error('upstream', { error: err });
      expect(lines()[0]!.error).toEqual({
        name: 'Error',
        message: `fetch https://u.example/?token=${REDACTED} failed`,
        code: 'ECONNREFUSED',
      });
    });
  });
});

describe('redactUrl', () => {
  it.each([
    ['token', '/r?token=abc', `/r?token=${REDACTED}`],
    ['access_token', '/r?x=1&access_token=abc', `/r?x=1&access_token=${REDACTED}`],
    ['password', '/login?password=abc&user=u', `/login?password=${REDACTED}&user=u`],
    ['secret', '/r?secret=abc#frag', `/r?secret=${REDACTED}#frag`],
    ['an uppercase name', '/r?TOKEN=abc', `/r?TOKEN=${REDACTED}`],
    ['several parameters', '/r?token=a&password=b', `/r?token=${REDACTED}&password=${REDACTED}`],
    ['an empty value', '/r?token=&x=1', `/r?token=${REDACTED}&x=1`],
  ])('cuts the value of a %s parameter', (_, url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it.each([
    ['a database URL', 'postgres://outpost:hunter2@db:5432/outpost', `postgres://outpost:${REDACTED}@db:5432/outpost`],
    [
      'a URL inside a message',
      'connect to https://u:p%40ss@s3.local/b failed',
      `connect to https://u:${REDACTED}@s3.local/b failed`,
    ],
    ['a user without password', 'postgres://outpost@db/outpost', 'postgres://outpost@db/outpost'],
  ])('cuts the password out of %s', (_, text, expected) => {
    expect(redactUrl(text)).toBe(expected);
  });

  it('stops at whitespace, so the rest of a log message survives', () => {
    expect(redactUrl('GET /r?token=abc HTTP/1.1')).toBe(`GET /r?token=${REDACTED} HTTP/1.1`);
  });

  it('leaves parameters whose names only contain a secret word', () => {
    expect(redactUrl('/r?notoken=1&token_type=bearer')).toBe('/r?notoken=1&token_type=bearer');
  });

  it('leaves text without query parameters unchanged', () => {
    expect(redactUrl('token=abc in prose')).toBe('token=abc in prose');
  });

  it('gives the same answer when called repeatedly (no regex state carried over)', () => {
    for (let i = 0; i < 3; i++) expect(redactUrl('/r?token=abc')).toBe(`/r?token=${REDACTED}`);
  });
});
