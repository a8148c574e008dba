import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, hasBody, readBoundedBody } from '../../../src/http/body.js';

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('readBoundedBody', () => {
  const none = new Headers();

  it('collects a body of at most the limit', async () => {
    expect((await readBoundedBody(chunks('abc', 'de'), none, 5)).toString()).toBe('abcde');
  });

  it('refuses a Content-Length over the limit without reading a byte', async () => {
    let pulled = 0;
    async function* counting(): AsyncIterable<Uint8Array> {
      pulled++;
      yield Buffer.from('x');
    }
    const announced = new Headers({ 'content-length': '6' });
    await expect(readBoundedBody(counting(), announced, 5)).rejects.toThrow(BodyTooLargeError);
    expect(pulled).toBe(0);
  });

  it('stops reading at the chunk that passes the limit, so an endless body is refused', async () => {
    let pulled = 0;
    async function* endless(): AsyncIterable<Uint8Array> {
      for (;;) {
        pulled++;
        yield Buffer.from('abc');
      }
    }
    const refusal = { code: 'OUTPOST_BODY_TOO_LARGE', maxBytes: 5 };
    await expect(readBoundedBody(endless(), none, 5)).rejects.toMatchObject(refusal);
    expect(pulled).toBe(2);
  });
});

describe('hasBody', () => {
  const headers = (values: Record<string, string>) => new Headers(values);

  it('is true for a positive Content-Length', () => {
    expect(hasBody(headers({ 'content-length': '10' }))).toBe(true);
  });

  it('is false for Content-Length 0, even with Transfer-Encoding', () => {
    expect(hasBody(headers({ 'content-length': '0' }))).toBe(false);
  });

  it('is true for a chunked body without Content-Length', () => {
    expect(hasBody(headers({ 'transfer-encoding': 'chunked' }))).toBe(true);
  });

  it('is false without either header', () => {
    expect(hasBody(headers({}))).toBe(false);
  });

  it('accepts header readers that answer undefined for absent headers', () => {
    expect(hasBody({ get: () => undefined })).toBe(false);
  });
});
