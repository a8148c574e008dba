/**
 * @module Refuses over-long request paths before any router sees them (issue 9, item 2).
 *
 * Why here and not in a middleware: Hono matches every route of an app, middlewares included,
 * in one step at dispatch, and the registry's `/:name{.+}/...` patterns (and the web pages'
 * `/repositories/:name{.+}`) backtrack on long paths with many slashes: a 14,000-character
 * `/v2/a/a/.../tags/list` held main's event loop for seconds. Bounding the path makes the worst
 * case trivial: at 512 characters the slowest shapes found cost about 0.15 ms of main's event
 * loop, as much as a short path, against 136 ms at 2,048 and 650 ms at 4,096 characters
 * (`npm run build && node load/route-cost.mjs`, main's real app, 2-core machine).
 *
 * The bound leaves room for every valid request: the longest one is a manifest or referrers
 * path with a 255-character name (distribution's limit) and a sha512 digest:
 * `/v2/` (4) + 255 + `/manifests/` (11) + `sha512:` + 128 hex (135) + `/` = 406 characters.
 * What it must not do: look at anything but the raw path (the query is not routed).
 */
import { OciError } from '../oci/errors.js';
import { MAX_NAME_LENGTH } from '../oci/reference.js';

/** The longest path (before the query, as sent, percent-escapes included) any service routes. */
export const MAX_PATH_LENGTH = 512;

/** Route suffixes that end a repository name in a registry path (distribution-spec endpoints). */
const NAME_ENDS = ['/blobs/', '/manifests/', '/tags/', '/referrers/'];

/**
 * Why a request target is refused before routing, or undefined to let it through. `/v2` paths
 * get the registry's `NAME_INVALID` (the only part of such a path that may be long is the name);
 * others a plain 414 (RFC 9110 15.5.15).
 */
export function oversizedPath(target: string): { status: number; error?: OciError } | undefined {
  const queryAt = target.indexOf('?');
  const path = queryAt < 0 ? target : target.slice(0, queryAt);
  const registry = path.startsWith('/v2/');
  if (path.length <= MAX_PATH_LENGTH) {
    if (!registry) return undefined;
    // The shortest name any route could read from this path (linear scans, no regex).
    const ends = NAME_ENDS.map((end) => path.indexOf(end, 4)).filter((at) => at >= 0);
    const nameLength = (ends.length > 0 ? Math.min(...ends) : path.length) - 4;
    if (nameLength <= MAX_NAME_LENGTH) return undefined;
  }
  if (!registry) return { status: 414 };
  const error = new OciError('NAME_INVALID', {
    message:
      `request path too long: repository names have at most ${MAX_NAME_LENGTH} characters ` +
      `and paths at most ${MAX_PATH_LENGTH}`,
    detail: { pathLength: path.length },
  });
  return { status: error.status, error };
}
