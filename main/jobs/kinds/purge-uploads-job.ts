/**
 * @module The `purge-uploads` job: removes upload sessions idle for longer than `maxAgeMs`
 * (default the config's `storage.uploadMaxAge`), what main also does on its own timer.
 */
import { z } from 'zod';
import type { JobKind } from '../types.js';
import { parseParamsWith } from './params.js';

const MAX_AGE_MS = 365 * 24 * 3600_000;

export function purgeUploadsJobKind(deps: {
  purgeAbandoned: (maxAgeMs: number) => Promise<number>;
  defaultMaxAgeMs: number;
}): JobKind {
  const schema = z
    .object({ maxAgeMs: z.number().int().min(60_000).max(MAX_AGE_MS).default(deps.defaultMaxAgeMs) })
    .strict();
  return {
    kind: 'purge-uploads',
    adminMayStart: true,
    parseParams: (input) => parseParamsWith(schema, input),
    async run(context) {
      const { maxAgeMs } = schema.parse(context.params);
      const purged = await deps.purgeAbandoned(maxAgeMs);
      context.progress(1, 1);
      context.log(`removed ${purged} upload sessions idle for more than ${maxAgeMs} ms`);
      return { purged };
    },
  };
}
