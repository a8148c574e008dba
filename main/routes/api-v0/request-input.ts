/**
 * @module Parsing the management API's input: JSON bodies checked against a schema, and the
 * paging query (`pageSize`, `pageStart`, as DTR names them). Every failure is INVALID_INPUT
 * with a message naming the field (a body over 64 KiB: 413 TOO_LARGE), never a 500.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { readBoundedBody } from '../../../src/http/body.js';
import { requestBody } from '../../../src/http/node-bindings.js';
import { AccountError } from '../../accounts/errors.js';

const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** The body parsed as JSON and validated by `schema`; an empty body reads as `{}`. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  // Over the limit: BodyTooLargeError, answered 413 TOO_LARGE by api-errors.ts.
  const bytes = await readBoundedBody(requestBody(c), c.req.raw.headers, MAX_BODY_BYTES);
  let value: unknown = {};
  if (bytes.byteLength > 0) {
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new AccountError('INVALID_INPUT', 'the request body is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AccountError('INVALID_INPUT', 'the request body must be a JSON object');
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
    throw new AccountError('INVALID_INPUT', problems.join('; '));
  }
  return parsed.data;
}

/** `?pageSize=` (1 to 1000, default 100) and `?pageStart=` (the name to continue after). */
export function pageQuery(c: Context): { limit: number; after?: string } {
  const size = c.req.query('pageSize');
  const limit = size === undefined ? DEFAULT_PAGE_SIZE : Number(size);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw new AccountError('INVALID_INPUT', `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  const after = c.req.query('pageStart');
  // A cursor is a name or tag of the list (at most 255 characters); longer ones hit LMDB's key size limit.
  if (after !== undefined && after.length > 255) {
    throw new AccountError('INVALID_INPUT', 'pageStart must be at most 255 characters');
  }
  return { limit, ...(after !== undefined && after !== '' && { after }) };
}

/** Sets DTR's `X-Next-Page-Start` header when another page follows. */
export function nextPageHeader(c: Context, next: string | undefined): void {
  if (next !== undefined) c.header('X-Next-Page-Start', next);
}
