/** @module Checking a kind's parameters with its schema: one message listing what is wrong. */
import type { z } from 'zod';

export function parseParamsWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new Error(
      parsed.error.issues
        .slice(0, 5)
        .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
        .join('; '),
    );
  return parsed.data;
}
