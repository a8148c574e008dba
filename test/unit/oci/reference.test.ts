import { describe, expect, it } from 'vitest';
import {
  formatReference,
  isRepoName,
  isTag,
  MAX_NAME_LENGTH,
  parseReference,
  parseRepoName,
  parseTag,
} from '../../../src/oci/reference.js';
import { OciError } from '../../../src/oci/errors.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function thrown(fn: () => unknown): OciError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OciError);
    return err as OciError;
  }
  throw new Error('expected an OciError, nothing was thrown');
}

describe('parseRepoName', () => {
  it.each([
    ['a single component', 'ubuntu'],
    ['two components', 'library/ubuntu'],
    ['many components with digits', 'a1/b2/c3/d4'],
    ['every separator the grammar allows', 'a.b_c__d-e--f/g'],
    ['a component that is all digits', '123/456'],
  ])('accepts %s', (_, name) => {
    expect(parseRepoName(name)).toBe(name);
    expect(isRepoName(name)).toBe(true);
  });

  it(`accepts a name of exactly ${MAX_NAME_LENGTH} characters`, () => {
    const name = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
    expect(name).toHaveLength(MAX_NAME_LENGTH);
    expect(parseRepoName(name)).toBe(name);
  });

  it.each([
    ['uppercase letters', 'Library/ubuntu'],
    ['a leading slash', '/ubuntu'],
    ['a trailing slash', 'ubuntu/'],
    ['an empty component', 'library//ubuntu'],
    ['a parent-directory component', 'library/../etc'],
    ['a component that starts with a separator', 'library/-ubuntu'],
    ['a component that ends with a separator', 'ubuntu.'],
    ['three underscores in a row', 'a___b'],
    ['two dots in a row', 'a..b'],
    ['a colon', 'ubuntu:latest'],
    ['a NUL byte', 'ubuntu\u0000x'],
    ['an empty string', ''],
  ])('rejects %s with NAME_INVALID', (_, name) => {
    const err = thrown(() => parseRepoName(name));
    expect(err.code).toBe('NAME_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^invalid repository name: must match .+ and be at most 255 characters$/);
    expect(err.detail).toEqual({ name });
    expect(isRepoName(name)).toBe(false);
  });

  it(`rejects a valid-looking name of ${MAX_NAME_LENGTH + 1} characters and echoes at most that many`, () => {
    const name = 'a'.repeat(400);
    const err = thrown(() => parseRepoName(name));
    expect(err.code).toBe('NAME_INVALID');
    expect(err.detail).toEqual({ name: 'a'.repeat(MAX_NAME_LENGTH + 1) });
    expect(isRepoName('a'.repeat(MAX_NAME_LENGTH + 1))).toBe(false);
  });
});

describe('parseTag', () => {
  it.each([
    ['a plain word', 'latest'],
    ['dots and dashes', 'v1.2.3-rc.1'],
    ['a leading underscore', '_internal'],
    ['uppercase letters', 'Release_2024'],
    ['128 characters', 'a'.repeat(128)],
  ])('accepts %s', (_, tag) => {
    expect(parseTag(tag)).toBe(tag);
    expect(isTag(tag)).toBe(true);
  });

  it.each([
    ['129 characters', 'a'.repeat(129)],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-x'],
    ['a slash', 'a/b'],
    ['a colon', 'a:b'],
    ['an empty string', ''],
  ])('rejects %s with MANIFEST_INVALID', (_, tag) => {
    const err = thrown(() => parseTag(tag));
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toBe('invalid tag: must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}');
    expect(err.detail).toEqual({ tag });
    expect(isTag(tag)).toBe(false);
  });
});

describe('parseReference', () => {
  it('reads a reference without a colon as a tag', () => {
    expect(parseReference('v1.0')).toEqual({ kind: 'tag', tag: 'v1.0' });
  });

  it('reads a valid digest as a digest reference', () => {
    expect(parseReference(DIGEST)).toEqual({ kind: 'digest', digest: DIGEST });
  });

  it('rejects a reference with a colon that is not a valid digest with DIGEST_INVALID', () => {
    const err = thrown(() => parseReference('sha256:abc'));
    expect(err.code).toBe('DIGEST_INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toBe('invalid digest reference');
    expect(err.detail).toEqual({ reference: 'sha256:abc' });
  });

  it('rejects an invalid tag with MANIFEST_INVALID', () => {
    const err = thrown(() => parseReference('-bad'));
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.detail).toEqual({ tag: '-bad' });
  });
});

describe('formatReference', () => {
  it('gives back the text parseReference read, for tags and digests', () => {
    for (const text of ['latest', DIGEST]) expect(formatReference(parseReference(text))).toBe(text);
  });
});
