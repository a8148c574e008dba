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

  it('keeps each upload session under uploads/<id>/, and refuses an id that is no UUID', () => {
    const keys = new S3Keys('p');
    const id = '0b8a4c3e-1d2f-4a5b-8c9d-0e1f2a3b4c5d';
    expect(keys.uploadSession(id)).toBe(`p/uploads/${id}/session`);
    expect(keys.uploadData(id)).toBe(`p/uploads/${id}/data`);
    expect(keys.newUploadTail(id)).toMatch(new RegExp(`^p/uploads/${id}/tail-[0-9a-f-]{36}$`));
    expect(keys.uploadIdOf(keys.newUploadTail(id))).toBe(id);
    expect(keys.uploadIdOf(`p/uploads/not-a-uuid/session`)).toBeUndefined();
    expect(() => keys.upload('../blobs')).toThrow('not an upload id: ../blobs');
  });

  it('names trashed blobs trash/<algorithm>/<hex>.<uuid> and reads their digest back', () => {
    const keys = new S3Keys('');
    const trashed = keys.newTrash(DIGEST);
    expect(trashed).toMatch(new RegExp(`^trash/sha256/${HEX}\\.[0-9a-f-]{36}$`));
    expect(keys.trashedDigestOf(trashed)).toBe(DIGEST);
    expect(keys.trashedDigestOf(`trash/sha256/${HEX}`)).toBeUndefined();
    expect(keys.trashedDigestOf(`blobs/sha256/${HEX}.0b8a4c3e-1d2f-4a5b-8c9d-0e1f2a3b4c5d`)).toBeUndefined();
  });
});
