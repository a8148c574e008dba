import { describe, expect, it } from 'vitest';
import { digestOf } from '../../../src/oci/digest.js';
import { S3Keys } from '../../../src/store/s3-keys.js';

const DIGEST = digestOf(Buffer.from('abc'));
const HEX = DIGEST.slice('sha256:'.length);

describe('S3Keys', () => {
  it('puts blobs under <prefix>/blobs/<algorithm>/<hex>, and staged objects under <prefix>/tmp/', () => {
    const keys = new S3Keys('team/registry');
    expect(keys.blob(DIGEST)).toBe(`team/registry/blobs/sha256/${HEX}`);
    expect(keys.newTemp()).toMatch(/^team\/registry\/tmp\/[0-9a-f-]{36}$/);
    expect(keys.newTemp()).not.toBe(keys.newTemp());
  });

  it('starts at the bucket root without a prefix', () => {
    const keys = new S3Keys('');
    expect(keys.blob(DIGEST)).toBe(`blobs/sha256/${HEX}`);
    expect(keys.tmpPrefix).toBe('tmp/');
  });

  it('reads back the digest of a blob key, and of nothing else', () => {
    const keys = new S3Keys('p');
    expect(keys.digestOf(`p/blobs/sha256/${HEX}`)).toBe(DIGEST);
    for (const key of [
      `blobs/sha256/${HEX}`,
      `p/blobs/sha256/${HEX}/x`,
      `p/blobs/sha256/${HEX.toUpperCase()}`,
      `p/blobs/md5/${HEX}`,
      `p/blobs/sha256/${HEX.slice(1)}`,
      'p/blobs/sha256',
      `p/tmp/${HEX}`,
    ]) {
      expect(keys.digestOf(key)).toBeUndefined();
    }
  });

  it('recognises staged keys only under its own tmp/', () => {
    const keys = new S3Keys('p');
    expect(keys.isTemp(keys.newTemp())).toBe(true);
    expect(keys.isTemp('p/tmp/')).toBe(false);
    expect(keys.isTemp('q/tmp/x')).toBe(false);
  });
});
