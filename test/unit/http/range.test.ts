import { describe, expect, it } from 'vitest';
import { formatContentRange, formatUploadRange, parseChunkRange, parseRange } from '../../../src/http/range.js';
import { OciError } from '../../../src/oci/errors.js';

function thrown(fn: () => unknown): OciError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OciError);
    return err as OciError;
  }
  throw new Error('expected an OciError, nothing was thrown');
}

function expectUnsatisfiable(header: string, size: number): void {
  const err = thrown(() => parseRange(header, size));
  expect(err.code).toBe('RANGE_INVALID');
  expect(err.status).toBe(416);
  expect(err.message).toBe('requested range not satisfiable');
  expect(err.detail).toEqual({ size });
  // RFC 9110 section 15.5.17: a 416 names the current length as `bytes */<length>`.
  expect(err.headers).toEqual({ 'Content-Range': `bytes */${size}` });
}

describe('parseRange', () => {
  it('returns undefined when there is no Range header', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
  });

  it('reads a closed range as inclusive start and end', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=99-99', 100)).toEqual({ start: 99, end: 99 });
  });

  it('reads an open-ended range up to the last byte', () => {
    expect(parseRange('bytes=10-', 100)).toEqual({ start: 10, end: 99 });
  });

  it('reads a suffix range as the last N bytes', () => {
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
  });

  it('serves the whole blob for a suffix longer than the blob (RFC 9110 section 14.1.2)', () => {
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });

  it('clamps an end beyond the last byte to the last byte', () => {
    expect(parseRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 99 });
  });

  it('tolerates surrounding whitespace', () => {
    expect(parseRange('  bytes=0-0 ', 100)).toEqual({ start: 0, end: 0 });
  });

  it('ignores a multi-range request and serves the whole blob', () => {
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
  });

  it('ignores a range in a unit other than bytes', () => {
    expect(parseRange('items=0-5', 100)).toBeUndefined();
  });

  it('ignores a suffix range on an empty blob, which RFC 9110 section 14.1.1 calls satisfiable', () => {
    // No 206 can describe zero bytes, so the whole (empty) representation is served.
    expect(parseRange('bytes=-5', 0)).toBeUndefined();
  });

  it.each([
    ['a start at the end of the blob', 'bytes=100-', 100],
    ['a start beyond the end of the blob', 'bytes=200-300', 100],
    ['an end before the start', 'bytes=5-3', 100],
    ['a zero-length suffix', 'bytes=-0', 100],
    ['neither start nor end', 'bytes=-', 100],
    ['a bytes range that is not numeric', 'bytes=abc', 100],
    ['a negative start', 'bytes=-5-10', 100],
    ['a start beyond the safe integer range', 'bytes=99999999999999999999-', 100],
    ['any first-byte range on an empty blob', 'bytes=0-', 0],
  ])('answers 416 RANGE_INVALID for %s', (_, header, size) => {
    expectUnsatisfiable(header, size);
  });
});

describe('formatContentRange', () => {
  it('writes `bytes start-end/size`', () => {
    expect(formatContentRange({ start: 0, end: 9 }, 100)).toBe('bytes 0-9/100');
  });
});

describe('parseChunkRange', () => {
  it('returns undefined when the header is absent', () => {
    expect(parseChunkRange(undefined)).toBeUndefined();
  });

  it.each([
    ['the spec form without a unit', '0-99'],
    ['a bytes= prefix', 'bytes=0-99'],
    ['the RFC Content-Range form with a total', 'bytes 0-99/200'],
    ['an unknown total', '0-99/*'],
    ['surrounding whitespace', ' 0-99 '],
  ])('reads %s', (_, header) => {
    expect(parseChunkRange(header)).toEqual({ start: 0, end: 99 });
  });

  it('reads a one-byte chunk', () => {
    expect(parseChunkRange('100-100')).toEqual({ start: 100, end: 100 });
  });

  it.each([
    ['text', 'abc'],
    ['an end before the start', '5-3'],
    ['a missing start', '-5'],
    ['a missing end', '5-'],
    ['an empty value', ''],
    ['a unit other than bytes', 'items 0-5'],
  ])('rejects %s with BLOB_UPLOAD_INVALID', (_, header) => {
    const err = thrown(() => parseChunkRange(header));
    expect(err.code).toBe('BLOB_UPLOAD_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toBe('invalid Content-Range: expected <start>-<end>');
    expect(err.detail).toEqual({ contentRange: header });
  });

  it('echoes at most 100 characters of a malformed header', () => {
    const header = 'x'.repeat(300);
    expect(thrown(() => parseChunkRange(header)).detail).toEqual({ contentRange: 'x'.repeat(100) });
  });
});

describe('formatUploadRange', () => {
  it('writes 0-<last byte> for the bytes received', () => {
    expect(formatUploadRange(100)).toBe('0-99');
    expect(formatUploadRange(1)).toBe('0-0');
  });

  it('writes 0-0 for an upload that has received nothing yet', () => {
    expect(formatUploadRange(0)).toBe('0-0');
  });
});
