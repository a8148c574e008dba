import { describe, expect, it } from 'vitest';
import { formatS3Location, parseS3Location, S3LocationError } from '../../../src/store/s3-location.js';

function refusal(text: string): string {
  try {
    parseS3Location(text);
  } catch (err) {
    expect(err).toBeInstanceOf(S3LocationError);
    expect(err).toMatchObject({ code: 'OUTPOST_S3_LOCATION_INVALID' });
    return (err as Error).message;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('parseS3Location', () => {
  it('reads a bare bucket', () => {
    expect(parseS3Location('s3://registry')).toEqual({ bucket: 'registry', prefix: '' });
  });

  it('reads bucket, prefix, endpoint and region', () => {
    expect(parseS3Location('s3://my.bucket-1/a/b_c/?endpoint=http://127.0.0.1:7480/&region=eu-west-1')).toEqual({
      bucket: 'my.bucket-1',
      prefix: 'a/b_c',
      endpoint: 'http://127.0.0.1:7480',
      region: 'eu-west-1',
    });
  });

  it('reads an https endpoint with a path', () => {
    expect(parseS3Location('s3://b12?endpoint=https%3A%2F%2Fs3.example.org%2Fgw').endpoint).toBe(
      'https://s3.example.org/gw',
    );
  });

  it('refuses another scheme', () => {
    expect(refusal('https://bucket/x')).toBe(
      'expected s3://BUCKET[/PREFIX]?endpoint=URL&region=R, got a URL without s3://',
    );
  });

  it('refuses bucket names S3 does not allow', () => {
    for (const bucket of ['ab', 'a'.repeat(64), '-abc', 'abc-', 'a..b', 'ab_c']) {
      expect(refusal(`s3://${bucket}`)).toContain('is not a valid S3 bucket name');
    }
    expect(refusal('s3://ABC')).toContain('is not a valid S3 bucket name');
  });

  it('refuses credentials in the location or the endpoint, naming the variables to use instead', () => {
    expect(refusal('s3://key:secret@bucket')).toContain('use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(refusal('s3://bucket?endpoint=http://key:secret@127.0.0.1:7480')).toContain(
      'credentials do not belong in the endpoint',
    );
  });

  it('refuses prefixes that could leave their place or that S3 tools mangle', () => {
    for (const prefix of ['a/../b', 'a/./b', 'a//b', 'a b', 'a%2Fb', 'ä']) {
      expect(refusal(`s3://bucket/${prefix}`)).toContain('must be segments of');
    }
    expect(refusal(`s3://bucket/${'a'.repeat(257)}`)).toBe('prefix is longer than 256');
  });

  it('refuses unknown parameters, a port on the bucket, bad endpoints and regions', () => {
    expect(refusal('s3://bucket?endpoint=http://h&secure=1')).toBe(
      'unknown parameter "secure" (known: endpoint, region)',
    );
    expect(refusal('s3://bucket:9000')).toBe('the bucket takes no port: give the endpoint as ?endpoint=URL');
    expect(refusal('s3://bucket?endpoint=ftp://h')).toBe('endpoint must be an http:// or https:// URL');
    expect(refusal('s3://bucket?endpoint=nota url')).toContain('is not a URL');
    expect(refusal('s3://bucket?endpoint=http://h/?x=1')).toBe('endpoint takes no ?query or #fragment');
    expect(refusal('s3://bucket?region=EU West')).toBe('region "EU West" is not a region name');
  });
});

describe('formatS3Location', () => {
  it('writes a location that parses back to itself', () => {
    const location = { bucket: 'b12', prefix: 'x/y', endpoint: 'http://127.0.0.1:7480', region: 'us-east-1' };
    const text = formatS3Location(location);
    expect(text).toBe('s3://b12/x/y?endpoint=http%3A%2F%2F127.0.0.1%3A7480&region=us-east-1');
    expect(parseS3Location(text)).toEqual(location);
    expect(formatS3Location({ bucket: 'b12', prefix: '' })).toBe('s3://b12');
  });
});
