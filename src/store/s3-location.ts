/**
 * @module `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`: where an S3 blob store lives.
 *
 * Credentials never appear here: the AWS SDK's default chain finds them (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws/credentials, container and instance roles), so a
 * location can be logged and shown in errors as it is.
 */

export interface S3Location {
  bucket: string;
  /** '' or segments joined by '/', without leading or trailing '/'. */
  prefix: string;
  /** An S3-compatible endpoint (Ceph RGW, MinIO); AWS's own for the region when absent. */
  endpoint?: string;
  /** The signing region; the SDK's default chain (AWS_REGION) when absent. */
  region?: string;
}

export class S3LocationError extends Error {
  readonly code = 'OUTPOST_S3_LOCATION_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'S3LocationError';
  }
}

// S3's bucket naming rules (DNS-compatible), which path-style endpoints accept as well.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_PREFIX_LENGTH = 256;
const REGION = /^[a-z0-9-]{1,64}$/;
const PARAMETERS = new Set(['endpoint', 'region']);

/** Parses and validates a location; throws `S3LocationError` saying what is wrong. */
export function parseS3Location(text: string): S3Location {
  const example = 's3://BUCKET[/PREFIX]?endpoint=URL&region=R';
  if (!text.startsWith('s3://')) throw new S3LocationError(`expected ${example}, got a URL without s3://`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new S3LocationError(`expected ${example}: not a URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new S3LocationError(
      'credentials do not belong in the location: use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE',
    );
  }
  if (url.port !== '') throw new S3LocationError('the bucket takes no port: give the endpoint as ?endpoint=URL');
  const bucket = url.hostname;
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new S3LocationError(
      `bucket "${bucket.slice(0, 80)}" is not a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')`,
    );
  }
  // From the text as written: URL parsing would resolve `a/../b` into `b` without a word.
  const authorityAndPath = text.slice('s3://'.length).split(/[?#]/, 1)[0]!;
  const slash = authorityAndPath.indexOf('/');
  const prefix = slash < 0 ? '' : authorityAndPath.slice(slash + 1).replace(/\/$/, '');
  if (prefix.length > MAX_PREFIX_LENGTH) throw new S3LocationError(`prefix is longer than ${MAX_PREFIX_LENGTH}`);
  if (prefix !== '') {
    for (const segment of prefix.split('/')) {
      if (!PREFIX_SEGMENT.test(segment) || segment === '.' || segment === '..') {
        throw new S3LocationError(
          `prefix "${prefix.slice(0, 80)}" must be segments of A-Z, a-z, 0-9, '.', '_', '-' separated by single '/'`,
        );
      }
    }
  }
  if (url.hash !== '') throw new S3LocationError('a location has no #fragment');
  const location: S3Location = { bucket, prefix };
  for (const [key, value] of url.searchParams) {
    if (!PARAMETERS.has(key)) {
      throw new S3LocationError(`unknown parameter "${key.slice(0, 40)}" (known: endpoint, region)`);
    }
    if (key === 'endpoint') location.endpoint = parseEndpoint(value);
    else if (!REGION.test(value)) throw new S3LocationError(`region "${value.slice(0, 40)}" is not a region name`);
    else location.region = value;
  }
  return location;
}

function parseEndpoint(value: string): string {
  let endpoint: URL;
  try {
    endpoint = new URL(value);
  } catch {
    throw new S3LocationError(`endpoint "${value.slice(0, 80)}" is not a URL (expected http(s)://HOST[:PORT])`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new S3LocationError('endpoint must be an http:// or https:// URL');
  }
  if (endpoint.username !== '' || endpoint.password !== '') {
    throw new S3LocationError(
      'credentials do not belong in the endpoint: use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE',
    );
  }
  if (endpoint.search !== '' || endpoint.hash !== '')
    throw new S3LocationError('endpoint takes no ?query or #fragment');
  return endpoint.href.replace(/\/$/, '');
}

/** The location as text again (for logs and status pages: it holds no secret). */
export function formatS3Location(location: S3Location): string {
  const params = new URLSearchParams();
  if (location.endpoint !== undefined) params.set('endpoint', location.endpoint);
  if (location.region !== undefined) params.set('region', location.region);
  const query = params.size > 0 ? `?${params}` : '';
  return `s3://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}${query}`;
}
